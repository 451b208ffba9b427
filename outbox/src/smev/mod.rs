//! SMEV 3 transports and the worker that moves requests and answers through them.
//!
//! SMEV is asynchronous: a request is sent and gets a message id; hours or days later an
//! answer, an intermediate status or a rejection with a reason code arrives; the receiver
//! acknowledges it; anything unacknowledged is delivered again.

mod http;
mod simulator;
mod worker;

use async_trait::async_trait;
use zemstvo_core::capabilities::smev::SmevQuery;
use zemstvo_store::smev::{PendingSmev, SmevDelivery};

pub use http::{HttpSmevConfig, HttpSmevTransport};
pub use simulator::{SimulatorConfig, SmevSimulator};
pub use worker::{SmevStats, SmevWorker};

use crate::senders::SendError;

/// A way to exchange messages with SMEV.
#[async_trait]
pub trait SmevTransport: Send + Sync {
    /// Sends a request; returns its message id.
    async fn send(&self, request_key: &str, query: &SmevQuery) -> Result<String, SendError>;

    /// Deliveries waiting to be taken (answers, statuses, rejections), at most `limit`.
    async fn receive(&self, limit: usize) -> Result<Vec<SmevDelivery>, SendError>;

    /// Acknowledges a delivery so it is not delivered again.
    async fn ack(&self, delivery_id: &str) -> Result<(), SendError>;

    /// Told at start which requests are still open, so a transport that keeps no state of its
    /// own across restarts (the simulator) can answer them.
    async fn resume(&self, _pending: &[PendingSmev]) {}
}
