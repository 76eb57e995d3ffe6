//! The runtime for everything that follows an acknowledgement: tracking
//! (feeder, actors, their writes), forwarding, sending and the raw log.
//!
//! Why a runtime of its own: on a small machine the acknowledging path and
//! the background share the cores. On one runtime, a tracking page of 500
//! events or a forwarding batch holds a worker thread while callbacks wait
//! behind it — the profile of issue 7 put more than half the CPU per
//! callback in such background work, and the p99 of acknowledgements at
//! half load came from it. Here the background runs on its own threads at a
//! lower scheduling priority (a higher `nice`), so the kernel gives the
//! acknowledging threads the cores first and the background the rest. The
//! background only ever lags: it reads the durable event log, so whatever
//! it has not done yet is still there to do.

use std::{future::Future, time::Duration};

use tokio::runtime::{Handle, Runtime};

/// The background runtime; dropped, it stops its threads without waiting.
pub struct Background {
    runtime: Option<Runtime>,
    handle: Handle,
}

impl Background {
    /// Starts `threads` worker threads (at least one) named
    /// `pmc-background`, each lowered by `nice` (0 keeps the process's
    /// priority). Threads they start — SQLite connection workers, blocking
    /// tasks — inherit the lower priority.
    pub fn start(threads: usize, nice: i32) -> std::io::Result<Self> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(threads.max(1))
            .thread_name("pmc-background")
            .on_thread_start(move || lower_priority(nice))
            .enable_all()
            .build()?;
        let handle = runtime.handle().clone();
        Ok(Self { runtime: Some(runtime), handle })
    }

    /// Runs `future` on the background runtime and waits for its output:
    /// every task it spawns (actors, tailers, pool maintenance) lives there.
    pub async fn run<F>(&self, future: F) -> F::Output
    where
        F: Future + Send + 'static,
        F::Output: Send + 'static,
    {
        match self.handle.spawn(future).await {
            Ok(output) => output,
            // A panic in a start-up future is a bug: carry it on here.
            Err(error) if error.is_panic() => std::panic::resume_unwind(error.into_panic()),
            Err(_) => unreachable!("the background runtime lives as long as `self`"),
        }
    }

    /// Runs `start` (which spawns tasks but does not wait) inside the
    /// background runtime, so that what it spawns lives there.
    pub fn enter<T>(&self, start: impl FnOnce() -> T) -> T {
        let _inside = self.handle.enter();
        start()
    }

    /// Stops the background threads, giving tasks still running (there
    /// should be none: everything was closed through its handle) up to
    /// `timeout`.
    pub async fn shutdown(mut self, timeout: Duration) {
        if let Some(runtime) = self.runtime.take() {
            // Waiting for a runtime's threads blocks: not on a runtime thread.
            let _ = tokio::task::spawn_blocking(move || runtime.shutdown_timeout(timeout)).await;
        }
    }
}

impl Drop for Background {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            // Allowed anywhere, also inside another runtime (tests drop
            // applications they never ran).
            runtime.shutdown_background();
        }
    }
}

/// Raises this thread's niceness by `nice` (Linux: per thread). Lowering
/// one's own priority needs no privilege; if it fails anyway the thread
/// runs at normal priority, which is only slower under load.
fn lower_priority(nice: i32) {
    if nice == 0 {
        return;
    }
    let thread = rustix::thread::gettid();
    let current = rustix::process::getpriority_process(Some(thread)).unwrap_or(0);
    if let Err(error) = rustix::process::setpriority_process(Some(thread), (current + nice).min(19)) {
        tracing::warn!(error = %error, nice, "Could not lower the background threads' priority.");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn own_nice() -> i32 {
        rustix::process::getpriority_process(Some(rustix::thread::gettid())).unwrap()
    }

    #[tokio::test]
    async fn background_work_runs_on_its_own_lower_priority_threads() {
        let background = Background::start(1, 5).unwrap();
        let here = own_nice();
        let (name, nice) = background
            .run(async {
                let name = std::thread::current().name().map(str::to_owned);
                // A task spawned from there stays there too.
                let spawned = tokio::spawn(async { std::thread::current().name().map(str::to_owned) });
                assert_eq!(spawned.await.unwrap(), name);
                (name, own_nice())
            })
            .await;
        assert_eq!(name.as_deref(), Some("pmc-background"));
        assert_eq!(nice, (here + 5).min(19));
        // Threads started from a background thread inherit its priority
        // (this is how SQLite's connection workers get it).
        let inherited = background.run(async { std::thread::spawn(own_nice).join().unwrap() }).await;
        assert_eq!(inherited, nice);
        background.shutdown(Duration::from_secs(1)).await;
    }

    #[tokio::test]
    async fn what_enter_spawns_lives_on_the_background_runtime() {
        let background = Background::start(1, 0).unwrap();
        let task =
            background.enter(|| tokio::spawn(async { std::thread::current().name().map(str::to_owned) }));
        assert_eq!(task.await.unwrap().as_deref(), Some("pmc-background"));
        // Dropped inside a runtime without a shutdown: must not panic.
        drop(background);
    }
}
