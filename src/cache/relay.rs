//! The relay of long-connection sends in Redis: a replica that does not
//! hold a bot's connection queues the frame's body for the holder, which
//! sends it and leaves WeCom's answer for the replica to read.
//!
//! Keys (one hash tag per bot, so the scripts work in a Redis Cluster):
//! `pmc:relay:{scope:name}` — the queue (a list of `id|body`);
//! `pmc:relay-req:{scope:name}:id` — "queued, not yet answered", which
//! keeps a retried send from being queued twice while the first is alive;
//! `pmc:relay-answer:{scope:name}:id` — WeCom's answer, kept an hour, so
//! a retry after a late answer reads it instead of sending again.

use fred::interfaces::LuaInterface;

use super::{LeaseStoreError, StatusCache};

/// Queues `ARGV[1]` unless the send has its answer (2) or is queued and
/// alive (0); 1 when queued.
const SUBMIT: &str = r"
if redis.call('EXISTS', KEYS[3]) == 1 then return 2 end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then
  redis.call('RPUSH', KEYS[1], ARGV[1])
  redis.call('PEXPIRE', KEYS[1], ARGV[3])
  return 1
end
return 0
";

/// Takes up to `ARGV[1]` queued sends, oldest first.
const TAKE: &str = r"
local taken = redis.call('LPOP', KEYS[1], ARGV[1])
if not taken then return {} end
return taken
";

/// Stores an answer and ends the "queued" mark.
const ANSWER: &str = r"
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
redis.call('DEL', KEYS[2])
return 1
";

/// What queueing a relayed send came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submitted {
    /// Queued for the holder now.
    Queued,
    /// Queued earlier and not yet answered (a retry of a send in flight).
    InFlight,
    /// Answered already (a retry after the answer came).
    Answered,
}

fn keys(scope: &str, name: &str, id: &str) -> (String, String, String) {
    (
        format!("pmc:relay:{{{scope}:{name}}}"),
        format!("pmc:relay-req:{{{scope}:{name}}}:{id}"),
        format!("pmc:relay-answer:{{{scope}:{name}}}:{id}"),
    )
}

fn failed(error: fred::error::Error) -> LeaseStoreError {
    LeaseStoreError::new(error.details().to_owned())
}

impl StatusCache {
    /// Queues `entry` (`id|body`) for `name`'s holder; `in_flight_ms`: how
    /// long a queued send counts as alive (after that a retry queues it
    /// again, as its holder may have died with it); `keep_ms`: how long
    /// the queue lives unread.
    pub async fn relay_submit(
        &self,
        scope: &str,
        name: &str,
        id: &str,
        entry: &str,
        in_flight_ms: u64,
        keep_ms: u64,
    ) -> Result<Submitted, LeaseStoreError> {
        let client = &self.connected_inner()?.client;
        let (queue, queued, answer) = keys(scope, name, id);
        let outcome: i64 = client
            .eval(
                SUBMIT,
                vec![queue, queued, answer],
                vec![entry.to_owned(), in_flight_ms.to_string(), keep_ms.to_string()],
            )
            .await
            .map_err(failed)?;
        Ok(match outcome {
            1 => Submitted::Queued,
            2 => Submitted::Answered,
            _ => Submitted::InFlight,
        })
    }

    /// Takes up to `max` queued entries of `name`, oldest first.
    pub async fn relay_take(
        &self,
        scope: &str,
        name: &str,
        max: usize,
    ) -> Result<Vec<String>, LeaseStoreError> {
        let client = &self.connected_inner()?.client;
        let (queue, _, _) = keys(scope, name, "");
        client.eval(TAKE, vec![queue], vec![max.to_string()]).await.map_err(failed)
    }

    /// Leaves WeCom's answer to send `id` for `keep_ms`.
    pub async fn relay_answer(
        &self,
        scope: &str,
        name: &str,
        id: &str,
        answer: &str,
        keep_ms: u64,
    ) -> Result<(), LeaseStoreError> {
        let client = &self.connected_inner()?.client;
        let (_, queued, answer_key) = keys(scope, name, id);
        client
            .eval::<i64, _, _, _>(
                ANSWER,
                vec![answer_key, queued],
                vec![answer.to_owned(), keep_ms.to_string()],
            )
            .await
            .map_err(failed)?;
        Ok(())
    }

    /// WeCom's answer to send `id`, once the holder has left it.
    pub async fn relay_answer_of(
        &self,
        scope: &str,
        name: &str,
        id: &str,
    ) -> Result<Option<String>, LeaseStoreError> {
        use fred::interfaces::KeysInterface;
        let client = &self.connected_inner()?.client;
        let (_, _, answer) = keys(scope, name, id);
        client.get(answer).await.map_err(failed)
    }
}
