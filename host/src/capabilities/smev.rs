//! The host side of `smev`: the grant, the query's shape, the run's cap; the request id.

use zemstvo_core::capabilities::Capability;
use zemstvo_core::capabilities::smev::{OutgoingRequest, SmevQuery, validate_query};

use crate::state::RunState;

/// Why a request was refused; each WIT version names these in its `smev-error`.
#[derive(Debug)]
pub(crate) enum SmevRefusal {
    Denied(String),
    Invalid(String),
}

impl RunState {
    /// Queues a SMEV request and answers the id it will be sent with.
    pub(crate) async fn queue_smev_request(
        &mut self,
        query: SmevQuery,
    ) -> wasmtime::Result<Result<String, SmevRefusal>> {
        self.ensure_running("smev")?;
        if let Err(denied) = self.require(Capability::SmevSend) {
            return Ok(Err(SmevRefusal::Denied(denied)));
        }
        if let Err(why) = validate_query(&query) {
            return Ok(Err(SmevRefusal::Invalid(why)));
        }
        self.count_output(
            "SMEV requests",
            self.outputs.smev_requests.len() + 1,
            self.limits.max_smev_requests,
            query.weight(),
        )?;
        let request_id = format!(
            "{}/smev/{}",
            self.run_id,
            self.outputs.smev_requests.len() + 1
        );
        self.outputs.smev_requests.push(OutgoingRequest {
            request_id: request_id.clone(),
            query,
        });
        Ok(Ok(request_id))
    }
}
