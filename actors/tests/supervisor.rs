//! The actor tree over an in-memory store: ordering, duplicates,
//! passivation, the live cap, crashes, handlers and replays.

mod support;

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
};

use async_trait::async_trait;
use pmc_actors::{
    ActorSystem, ActorSystemConfig, CommittedEvent, HandlerError, HandlerRegistry, InteractionHandler,
    InteractionRecord, MessageId, Observation, Outcome, Registration, Signal, Status, StatusChange,
    StatusHandler, SupervisorHandle, SupervisorSettings, WriterSettings,
};
use support::MemoryStore;

fn id(text: &str) -> MessageId {
    MessageId::parse(text).unwrap()
}

fn observe(message: &str, recipient: Option<&str>, status: Status) -> Signal {
    Signal::Observe(Observation {
        message_id: id(message),
        recipient: recipient.map(str::to_owned),
        status,
        source: "test".into(),
        occurred_at_ms: None,
        received_at_ms: 1,
        detail: None,
    })
}

fn event(event_id: i64, signals: Vec<Signal>) -> CommittedEvent {
    CommittedEvent { id: event_id, callback_type: "test".into(), signals }
}

fn settings() -> SupervisorSettings {
    SupervisorSettings {
        writer: WriterSettings { max_rows: 100, max_delay: Duration::from_millis(5) },
        ..SupervisorSettings::default()
    }
}

async fn start(
    store: &Arc<MemoryStore>,
    settings: SupervisorSettings,
    handlers: HandlerRegistry,
    checkpoint: i64,
) -> ActorSystem {
    ActorSystem::start(ActorSystemConfig { settings, store: store.clone(), handlers, checkpoint })
        .await
        .unwrap()
}

/// Polls until the checkpoint reaches `event_id` (everything stored).
async fn settle(handle: &SupervisorHandle, event_id: i64) {
    for _ in 0..500 {
        if handle.stats(Duration::from_secs(1)).await.unwrap().checkpoint >= event_id {
            return;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    panic!("checkpoint never reached {event_id}: {:?}", handle.stats(Duration::from_secs(1)).await);
}

fn recipient_status(store: &MemoryStore, message: &str, recipient: &str) -> Option<Status> {
    store.inner.lock().unwrap().messages.get(&id(message))?.recipients.get(recipient)?.current()
}

#[tokio::test]
async fn out_of_order_and_duplicate_observations_converge_and_are_all_recorded() {
    let store = Arc::new(MemoryStore::default());
    let system = start(&store, settings(), HandlerRegistry::default(), 0).await;
    let handle = system.handle();
    let sequence = [Status::Read, Status::Sent, Status::Delivered, Status::Read, Status::Failed];
    let events: Vec<CommittedEvent> = sequence
        .iter()
        .enumerate()
        .map(|(i, s)| event(i as i64 + 1, vec![observe("m1", Some("u1"), *s)]))
        .collect();
    handle.apply_committed(events).unwrap();
    settle(&handle, 5).await;

    assert_eq!(recipient_status(&store, "m1", "u1"), Some(Status::Read));
    let outcomes: Vec<(Status, Outcome)> =
        store.inner.lock().unwrap().history.values().map(|row| (row.status, row.outcome)).collect();
    assert_eq!(
        outcomes,
        vec![
            (Status::Sent, Outcome::Implied),
            (Status::Delivered, Outcome::Implied),
            (Status::Read, Outcome::Applied),
            (Status::Sent, Outcome::Stale),
            (Status::Delivered, Outcome::Stale),
            (Status::Read, Outcome::Duplicate),
            (Status::Failed, Outcome::Conflict),
        ]
    );
    system.shutdown(Duration::from_secs(5)).await.unwrap();
    assert_eq!(store.inner.lock().unwrap().checkpoint, 5);
}

#[tokio::test]
async fn a_registration_tracks_each_recipient_and_a_card_click_implies_read() {
    let store = Arc::new(MemoryStore::default());
    let system = start(&store, settings(), HandlerRegistry::default(), 0).await;
    let handle = system.handle();
    let registration = Registration {
        message_id: id("card-1"),
        channel: "external".into(),
        account: "default".into(),
        recipients: vec!["alice".into(), "bob".into()],
        wecom_msgid: None,
        task_id: Some("task-9".into()),
        initial_status: Status::Sent,
        registered_at_ms: 10,
    };
    let click = InteractionRecord {
        user_id: "bob".into(),
        kind: "card_click".into(),
        message_id: None,
        callback_type: "event.template_card_event".into(),
        channel: "wechat_api".into(),
        account: "default".into(),
        payload: serde_json::json!({}),
        occurred_at_ms: Some(20),
        received_at_ms: 20,
    };
    handle
        .apply_committed(vec![
            event(1, vec![Signal::Register(registration)]),
            event(2, vec![Signal::CardInteraction { interaction: click, task_id: "task-9".into() }]),
        ])
        .unwrap();
    settle(&handle, 2).await;
    assert_eq!(recipient_status(&store, "card-1", "alice"), Some(Status::Sent));
    assert_eq!(recipient_status(&store, "card-1", "bob"), Some(Status::Read));
    let inner = store.inner.lock().unwrap();
    assert_eq!(inner.interactions.len(), 1);
    assert_eq!(
        inner.interactions.values().next().unwrap().record.message_id,
        Some(id("card-1")),
        "the click is linked"
    );
    assert_eq!(
        inner.messages[&id("card-1")].status(),
        Some(Status::Read),
        "the message follows its most advanced recipient"
    );
}

#[tokio::test]
async fn idle_actors_are_parked_and_reactivated_with_their_state() {
    let store = Arc::new(MemoryStore::default());
    let settings = SupervisorSettings { idle_timeout: Duration::from_millis(40), ..settings() };
    let system = start(&store, settings, HandlerRegistry::default(), 0).await;
    let handle = system.handle();
    handle.apply_committed(vec![event(1, vec![observe("p1", Some("u"), Status::Sent)])]).unwrap();
    settle(&handle, 1).await;
    for _ in 0..200 {
        if handle.stats(Duration::from_secs(1)).await.unwrap().live_message_actors == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let stats = handle.stats(Duration::from_secs(1)).await.unwrap();
    assert_eq!(stats.live_message_actors, 0, "{stats:?}");
    assert!(stats.passivations >= 1);

    handle.apply_committed(vec![event(2, vec![observe("p1", Some("u"), Status::Sent)])]).unwrap();
    settle(&handle, 2).await;
    let stats = handle.stats(Duration::from_secs(1)).await.unwrap();
    assert_eq!(stats.activations, 2);
    let last = store.inner.lock().unwrap().history.values().last().unwrap().clone();
    assert_eq!(last.outcome, Outcome::Duplicate, "the reactivated actor remembered `sent`");
}

#[tokio::test]
async fn the_live_cap_bounds_actors_and_loses_nothing() {
    let store = Arc::new(MemoryStore::default());
    let settings = SupervisorSettings { max_live_actors: 8, ..settings() };
    let system = start(&store, settings, HandlerRegistry::default(), 0).await;
    let handle = system.handle();
    let mut events = Vec::new();
    for round in 0..3 {
        for message in 0..50 {
            let status = [Status::Sent, Status::Delivered, Status::Read][round];
            events.push(event(
                events.len() as i64 + 1,
                vec![observe(&format!("cap-{message}"), Some("u"), status)],
            ));
        }
    }
    handle.apply_committed(events).unwrap();
    settle(&handle, 150).await;
    let stats = handle.stats(Duration::from_secs(1)).await.unwrap();
    assert!(stats.live_message_actors <= 8, "{stats:?}");
    // An actor that got signals while parking is respawned before the old one has fully stopped.
    assert!(stats.peak_message_actors <= 8 + 2, "the cap bounds every actor alive: {stats:?}");
    assert!(stats.passivations > 0, "{stats:?}");
    assert_eq!(
        stats.activations,
        stats.passivations + stats.live_message_actors,
        "every passivated actor was reactivated or is parked: {stats:?}"
    );
    for message in 0..50 {
        assert_eq!(recipient_status(&store, &format!("cap-{message}"), "u"), Some(Status::Read));
    }
    let applied =
        store.inner.lock().unwrap().history.values().filter(|row| row.outcome == Outcome::Applied).count();
    assert_eq!(applied, 150, "every step applied exactly once");
}

#[tokio::test]
async fn a_crashed_message_actor_is_restarted_without_losing_its_signal() {
    let store = Arc::new(MemoryStore::default());
    store.inner.lock().unwrap().panic_load_once.insert(id("crashy"));
    let system = start(&store, settings(), HandlerRegistry::default(), 0).await;
    let handle = system.handle();
    handle.apply_committed(vec![event(1, vec![observe("crashy", Some("u"), Status::Delivered)])]).unwrap();
    settle(&handle, 1).await;
    assert_eq!(handle.stats(Duration::from_secs(1)).await.unwrap().restarts, 1);
    assert_eq!(recipient_status(&store, "crashy", "u"), Some(Status::Delivered));
}

#[tokio::test]
async fn a_store_outage_is_waited_out_not_counted_as_a_crash() {
    let store = Arc::new(MemoryStore::default());
    // More failed loads than the restarts an actor is allowed.
    store.inner.lock().unwrap().fail_loads = 4;
    let system = start(&store, settings(), HandlerRegistry::default(), 0).await;
    let handle = system.handle();
    handle.apply_committed(vec![event(1, vec![observe("patient", Some("u"), Status::Read)])]).unwrap();
    settle(&handle, 1).await;
    assert_eq!(handle.stats(Duration::from_secs(1)).await.unwrap().restarts, 0);
    assert_eq!(recipient_status(&store, "patient", "u"), Some(Status::Read));
}

#[tokio::test]
async fn replaying_from_an_old_checkpoint_doubles_nothing() {
    let store = Arc::new(MemoryStore::default());
    let events = || {
        vec![
            event(1, vec![observe("r1", Some("a"), Status::Sent), observe("r1", Some("b"), Status::Read)]),
            event(2, vec![observe("r1", Some("a"), Status::Delivered)]),
            event(3, vec![observe("r2", None, Status::Failed)]),
        ]
    };
    let first = start(&store, settings(), HandlerRegistry::default(), 0).await;
    first.handle().apply_committed(events()).unwrap();
    settle(&first.handle(), 3).await;
    first.shutdown(Duration::from_secs(5)).await.unwrap();
    let (history_before, messages_before) = {
        let inner = store.inner.lock().unwrap();
        (inner.history.clone(), inner.messages.clone())
    };
    // As after a crash that lost the checkpoint: replay everything again.
    let second = start(&store, settings(), HandlerRegistry::default(), 0).await;
    second.handle().apply_committed(events()).unwrap();
    settle(&second.handle(), 3).await;
    second.shutdown(Duration::from_secs(5)).await.unwrap();
    let inner = store.inner.lock().unwrap();
    assert_eq!(inner.history, history_before, "no doubled or altered history rows");
    // Re-applying bumps each message's version, nothing else.
    let states = |messages: &std::collections::BTreeMap<MessageId, pmc_actors::MessageState>| {
        messages
            .iter()
            .map(|(id, state)| {
                (id.clone(), pmc_actors::MessageState { version: 0, revision: 0, ..state.clone() })
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(states(&inner.messages), states(&messages_before));
}

struct Counting(Arc<AtomicU64>);

#[async_trait]
impl StatusHandler for Counting {
    async fn on_status(&self, _change: &StatusChange) -> Result<(), HandlerError> {
        self.0.fetch_add(1, Ordering::SeqCst);
        Ok(())
    }
}

struct Panicking;

#[async_trait]
impl StatusHandler for Panicking {
    async fn on_status(&self, change: &StatusChange) -> Result<(), HandlerError> {
        panic!("handler bug on {}", change.message_id);
    }
}

struct Failing;

#[async_trait]
impl InteractionHandler for Failing {
    async fn on_interaction(&self, _interaction: &InteractionRecord) -> Result<(), HandlerError> {
        Err("downstream system unavailable".into())
    }
}

#[tokio::test]
async fn failing_and_panicking_handlers_are_isolated_and_counted() {
    let store = Arc::new(MemoryStore::default());
    let reads = Arc::new(AtomicU64::new(0));
    let mut handlers = HandlerRegistry::default();
    handlers.on_status("panicky", None, Arc::new(Panicking));
    handlers.on_status("count-reads", Some(Status::Read), Arc::new(Counting(reads.clone())));
    handlers.on_interaction("failing", Arc::new(Failing));
    let system = start(&store, settings(), handlers, 0).await;
    let handle = system.handle();
    let interaction = InteractionRecord {
        user_id: "u".into(),
        kind: "menu_click".into(),
        message_id: None,
        callback_type: "event.click".into(),
        channel: "wechat_api".into(),
        account: "default".into(),
        payload: serde_json::json!({}),
        occurred_at_ms: None,
        received_at_ms: 1,
    };
    handle
        .apply_committed(vec![
            event(1, vec![observe("h1", Some("u"), Status::Read)]),
            event(2, vec![Signal::Interaction(interaction)]),
            event(3, vec![observe("h2", Some("u"), Status::Read)]),
        ])
        .unwrap();
    settle(&handle, 3).await;
    for _ in 0..200 {
        if reads.load(Ordering::SeqCst) == 2 && handle.handler_stats().snapshot()["failing"].invocations == 1
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    assert_eq!(reads.load(Ordering::SeqCst), 2, "the pipeline went on after the panics");
    let stats = handle.handler_stats().snapshot();
    assert_eq!(stats["panicky"].invocations, 6, "sent, delivered, read for two messages");
    assert_eq!(stats["panicky"].failures, 6);
    assert!(stats["panicky"].last_error.as_deref().unwrap().contains("handler bug"));
    assert_eq!(stats["failing"].failures, 1);
    assert_eq!(stats["failing"].last_error.as_deref(), Some("downstream system unavailable"));
    assert_eq!(stats["count-reads"].failures, 0);
    assert_eq!(store.inner.lock().unwrap().interactions.len(), 1, "the interaction was stored anyway");
}

#[tokio::test]
async fn rows_the_store_refuses_are_isolated_and_the_rest_is_written() {
    let store = Arc::new(MemoryStore::default());
    store.inner.lock().unwrap().refuse.insert(id("poison"));
    let system = start(&store, settings(), HandlerRegistry::default(), 0).await;
    let handle = system.handle();
    let mut events = Vec::new();
    for (n, message) in ["fine-1", "poison", "fine-2", "fine-3"].iter().enumerate() {
        events.push(event(n as i64 + 1, vec![observe(message, Some("u"), Status::Delivered)]));
    }
    handle.apply_committed(events).unwrap();
    // The checkpoint moves past the refused rows instead of stalling on them.
    settle(&handle, 4).await;
    for message in ["fine-1", "fine-2", "fine-3"] {
        assert_eq!(recipient_status(&store, message, "u"), Some(Status::Delivered), "{message}");
    }
    assert_eq!(recipient_status(&store, "poison", "u"), None);
    let dead_letters = handle.stats(Duration::from_secs(1)).await.unwrap().dead_letters;
    assert!(dead_letters > 0, "the skipped rows are counted");
    // Later work for other messages still flows.
    handle.apply_committed(vec![event(5, vec![observe("fine-1", Some("u"), Status::Read)])]).unwrap();
    settle(&handle, 5).await;
    assert_eq!(recipient_status(&store, "fine-1", "u"), Some(Status::Read));
}

#[tokio::test]
async fn replicas_sharing_a_store_apply_each_transition_exactly_once() {
    // Three actor systems — three replicas — over one store, each with its
    // own event ids; the observations of every message are spread over them
    // and arrive out of order, so their cached states go stale and their
    // compare-and-set writes get superseded.
    let store = Arc::new(MemoryStore::default());
    let mut replicas = Vec::new();
    for origin in 0..3u8 {
        let replica: Arc<dyn pmc_actors::TrackingStore> = Arc::new(support::Replica(store.clone(), origin));
        let config = ActorSystemConfig {
            settings: settings(),
            store: replica,
            handlers: HandlerRegistry::default(),
            checkpoint: 0,
        };
        replicas.push(ActorSystem::start(config).await.unwrap());
    }
    let statuses =
        [Status::Delivered, Status::Failed, Status::Sent, Status::Read, Status::Read, Status::Sent];
    let messages = 40;
    let mut next_id = [0i64; 3];
    let mut observations = 0;
    for (round, status) in statuses.iter().enumerate() {
        for replica in 0..3 {
            let mut events = Vec::new();
            for message in 0..messages {
                // Each (round, message) goes to one replica, rotating.
                if (round + message) % 3 != replica {
                    continue;
                }
                next_id[replica] += 1;
                events.push(event(
                    next_id[replica],
                    vec![observe(&format!("r-{message}"), Some("u"), *status)],
                ));
                observations += 1;
            }
            replicas[replica].handle().apply_committed(events).unwrap();
        }
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut resyncs = 0;
    for (replica, system) in replicas.iter().enumerate() {
        settle(&system.handle(), next_id[replica]).await;
        resyncs += system.handle().stats(Duration::from_secs(1)).await.unwrap().resyncs;
    }
    let inner = store.inner.lock().unwrap();
    assert!(inner.superseded > 0 && resyncs > 0, "the test raced the replicas: {resyncs} resyncs");
    let observed_rows = inner.history.values().filter(|row| row.outcome != Outcome::Implied).count();
    assert_eq!(observed_rows, observations, "every observation recorded once");
    for message in 0..messages {
        let message_id = id(&format!("r-{message}"));
        let state = &inner.messages[&message_id].recipients["u"];
        assert_eq!(state.current(), Some(Status::Read), "r-{message}");
        for status in Status::ALL {
            let rows: Vec<Outcome> = inner
                .history
                .values()
                .filter(|row| row.message_id == message_id && row.status == status)
                .map(|row| row.outcome)
                .collect();
            let applied =
                rows.iter().filter(|outcome| matches!(outcome, Outcome::Applied | Outcome::Implied));
            assert!(applied.count() <= 1, "r-{message} {status:?} applied more than once: {rows:?}");
            // The state is the set of what was observed (whatever the outcome).
            assert_eq!(state.seen().contains(status), !rows.is_empty(), "r-{message} {status:?}: {rows:?}");
        }
        let read =
            inner.history.values().filter(|row| row.message_id == message_id && row.status == Status::Read);
        assert_eq!(
            read.filter(|row| row.outcome == Outcome::Applied).count(),
            1,
            "r-{message}: read applied once"
        );
    }
}
