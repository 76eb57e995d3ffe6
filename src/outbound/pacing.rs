//! Pacing sends under WeCom's limits, by delaying rather than letting WeCom
//! drop messages silently: 20 per minute per robot; per member of an app,
//! 30 per minute and 1000 per hour (excess is discarded without an error).
//!
//! In one process the windows are exact sliding logs. With Redis they are
//! shared by every replica (`pmc:rate:{scope}:{name}:{seconds}:{window}`):
//! fixed windows weighted into a sliding estimate (the previous window's
//! count times the part of it still inside the sliding window, plus the
//! current one), so a burst at a window's edge cannot double the rate.

use std::{
    collections::{HashMap, VecDeque},
    time::Duration,
};

use tokio::{sync::Mutex, time::Instant};

use crate::cache::StatusCache;

/// At most `max` sends per `per` for `name`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Limit {
    /// What is limited (`robot:…`, `member:zhangsan`).
    pub name: String,
    /// How many.
    pub max: u32,
    /// Per how long.
    pub per: Duration,
}

impl Limit {
    /// A robot's: `per_minute` (WeCom: 20) per minute.
    pub fn robot(robot: &str, per_minute: u32) -> Vec<Limit> {
        vec![Limit { name: format!("robot:{robot}"), max: per_minute, per: Duration::from_secs(60) }]
    }

    /// An app member's: `per_minute` per minute and `per_hour` per hour
    /// (WeCom: 30 and 1000).
    pub fn member(user_id: &str, per_minute: u32, per_hour: u32) -> Vec<Limit> {
        vec![
            Limit { name: format!("member:{user_id}"), max: per_minute, per: Duration::from_secs(60) },
            Limit { name: format!("member:{user_id}"), max: per_hour, per: Duration::from_secs(3600) },
        ]
    }
}

/// The pacer (one per service).
pub struct Pacer {
    shared: StatusCache,
    scope: String,
    local: Mutex<HashMap<(String, Duration), VecDeque<Instant>>>,
}

impl Pacer {
    /// A pacer sharing its windows through Redis when `shared` has it.
    pub fn new(shared: StatusCache, scope: &str) -> Self {
        Self { shared, scope: scope.to_owned(), local: Mutex::new(HashMap::new()) }
    }

    /// Takes one slot under every limit, or (taking none) says how long to
    /// wait before trying again.
    pub async fn take(&self, limits: &[Limit]) -> Result<(), Duration> {
        if limits.is_empty() {
            return Ok(());
        }
        if self.shared.enabled()
            && let Some(result) = self.take_shared(limits).await
        {
            return result;
        }
        self.take_local(limits).await
    }

    async fn take_local(&self, limits: &[Limit]) -> Result<(), Duration> {
        let now = Instant::now();
        let mut logs = self.local.lock().await;
        let mut wait = Duration::ZERO;
        for limit in limits {
            let log = logs.entry((limit.name.clone(), limit.per)).or_default();
            while log.front().is_some_and(|sent| now.duration_since(*sent) >= limit.per) {
                log.pop_front();
            }
            if log.len() >= limit.max as usize {
                let oldest = *log.front().expect("a full log has entries");
                wait = wait.max(limit.per - now.duration_since(oldest));
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        for limit in limits {
            logs.entry((limit.name.clone(), limit.per)).or_default().push_back(now);
        }
        Ok(())
    }

    /// `None` when Redis does not answer (the local windows take over).
    async fn take_shared(&self, limits: &[Limit]) -> Option<Result<(), Duration>> {
        let now_ms = chrono::Utc::now().timestamp_millis();
        let mut wait = Duration::ZERO;
        for limit in limits {
            let window_ms = limit.per.as_millis() as i64;
            let index = now_ms / window_ms;
            let into = (now_ms % window_ms) as f64 / window_ms as f64;
            let current = self.count(limit, index).await?;
            let previous = self.count(limit, index - 1).await?;
            let estimate = previous as f64 * (1.0 - into) + current as f64;
            if estimate + 1.0 > f64::from(limit.max) {
                // Wait until enough of the previous window has slid out.
                let needed = (estimate + 1.0 - f64::from(limit.max)) / previous.max(1) as f64;
                let millis =
                    ((needed * window_ms as f64) as i64).clamp(50, window_ms - now_ms % window_ms + 50);
                wait = wait.max(Duration::from_millis(millis as u64));
            }
        }
        if !wait.is_zero() {
            return Some(Err(wait));
        }
        for limit in limits {
            let index = now_ms / limit.per.as_millis() as i64;
            self.shared.shared_count(&self.key(limit, index), limit.per * 2).await?;
        }
        Some(Ok(()))
    }

    async fn count(&self, limit: &Limit, index: i64) -> Option<i64> {
        let value = self.shared.shared_get(&self.key(limit, index)).await?;
        Some(value.and_then(|(count, _)| count.parse().ok()).unwrap_or(0))
    }

    fn key(&self, limit: &Limit, index: i64) -> String {
        format!("pmc:rate:{}:{}:{}:{index}", self.scope, limit.name, limit.per.as_secs())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_robot_sends_twenty_a_minute_and_then_waits() {
        let pacer = Pacer::new(StatusCache::disabled(), "test");
        let robot = Limit::robot("r1", 20);
        for _ in 0..20 {
            pacer.take(&robot).await.unwrap();
        }
        let wait = pacer.take(&robot).await.unwrap_err();
        assert_eq!(wait, Duration::from_secs(60), "the 21st waits for the first to leave the window");
        tokio::time::advance(Duration::from_secs(30)).await;
        assert!(pacer.take(&robot).await.is_err(), "still 20 in the last minute");
        tokio::time::advance(Duration::from_secs(30)).await;
        pacer.take(&robot).await.unwrap();
        // Another robot has its own window.
        pacer.take(&Limit::robot("r2", 20)).await.unwrap();
    }

    #[tokio::test(start_paused = true)]
    async fn a_member_gets_thirty_a_minute_and_a_thousand_an_hour() {
        let pacer = Pacer::new(StatusCache::disabled(), "test");
        let mut sent = 0;
        let started = Instant::now();
        while sent < 1000 {
            match pacer.take(&Limit::member("zhangsan", 30, 1000)).await {
                Ok(()) => sent += 1,
                Err(wait) => tokio::time::advance(wait).await,
            }
        }
        // 30 a minute: the thousandth goes out in the 34th minute.
        let elapsed = started.elapsed();
        assert!(
            elapsed >= Duration::from_secs(33 * 60) && elapsed < Duration::from_secs(34 * 60),
            "{elapsed:?}"
        );
        let wait = pacer.take(&Limit::member("zhangsan", 30, 1000)).await.unwrap_err();
        assert!(wait > Duration::from_secs(20 * 60), "then the hourly limit holds: {wait:?}");
    }

    #[tokio::test(start_paused = true)]
    async fn a_refused_take_takes_no_slot_anywhere() {
        let pacer = Pacer::new(StatusCache::disabled(), "test");
        for _ in 0..30 {
            pacer.take(&Limit::member("busy", 30, 1000)).await.unwrap();
        }
        let both: Vec<Limit> =
            Limit::member("busy", 30, 1000).into_iter().chain(Limit::member("idle", 30, 1000)).collect();
        assert!(pacer.take(&both).await.is_err());
        for _ in 0..30 {
            pacer.take(&Limit::member("idle", 30, 1000)).await.unwrap();
        }
    }
}
