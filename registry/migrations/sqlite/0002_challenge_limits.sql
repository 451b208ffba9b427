-- Publish challenges are counted per client address and, when the request names a registered
-- key, per key: anonymous floods fill only their own client's share, never a vendor's.
ALTER TABLE challenges ADD COLUMN client TEXT NOT NULL DEFAULT '';
ALTER TABLE challenges ADD COLUMN key_id TEXT;
CREATE INDEX challenges_client ON challenges (client, key_id);
