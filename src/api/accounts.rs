//! `GET /api/v1/accounts`: every app, suite and robot the service serves,
//! with its routes and which credentials are set — never a secret.

use std::sync::Arc;

use poem_openapi::{ApiResponse, Object, OpenApi, param::Path, payload::Json};

use super::auth::{Guarded, ReadAccess, WriteAccess};
use super::{ApiTags, state::AppState};
use crate::{accounts::Account, configuration::AccountKind};

/// Account routes.
pub struct AccountsApi {
    state: Arc<AppState>,
}

/// One account.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct AccountBody {
    /// Its id (route segment, metrics label, `account` of its data).
    pub id: String,
    /// `app`, `suite` or `robot`.
    pub kind: String,
    /// Defined by the seed's `channels:` settings (`WECHAT_*` variables).
    pub seed: bool,
    /// Served; a disabled account's routes answer 503, its data stays.
    pub enabled: bool,
    /// Its callback routes (the seed's accounts also answer on the fixed routes).
    pub routes: Vec<String>,
    /// `ready`, `disabled` or `unconfigured` (callbacks).
    pub callbacks: String,
    /// What is missing, when unconfigured.
    pub callbacks_detail: Option<String>,
    /// Whether it can send (`POST /api/v1/messages` with this `account`).
    pub can_send: bool,
    /// What is missing to send.
    pub send_detail: Option<String>,
    /// Which credentials are set, by name (`token`, `encoding_aes_key`,
    /// `secret`, `suite_secret`, `webhook_url`, …); never their values.
    pub credentials_set: Vec<String>,
    /// Apps: the corp id (an identifier, not a secret).
    pub corp_id: Option<String>,
    /// Apps: the agent id.
    pub agent_id: Option<i64>,
    /// Suites: the suite id.
    pub suite_id: Option<String>,
    /// Suites: the corps that have authorised it.
    pub authorised_corps: Option<Vec<String>>,
    /// Robots: the smart robot's id, when configured.
    pub bot_id: Option<String>,
    /// Robots in `websocket` mode: their long connection.
    pub connection: Option<ConnectionBody>,
}

/// A `websocket` robot's long connection, as this replica sees it.
#[derive(Debug, Clone, Object)]
#[oai(skip_serializing_if_is_none)]
pub struct ConnectionBody {
    /// The replica (instance id) holding the bot's lease, and so its one
    /// connection; absent while nobody does or the lease store does not answer.
    pub holder: Option<String>,
    /// `connected`, `connecting`, `reconnecting`, `kicked` (a newer
    /// subscription replaced it: nobody reconnects until
    /// `POST /api/v1/accounts/{id}/reconnect`), `standby` (another replica
    /// holds it), `waiting` (the lease store does not answer), `stopped`.
    pub state: String,
    /// Since when, as this replica saw it (RFC 3339).
    pub since: Option<String>,
}

/// Every account.
#[derive(Debug, Clone, Object)]
pub struct AccountsBody {
    /// Apps and suites first, then robots, each by id.
    pub accounts: Vec<AccountBody>,
}

/// `POST /api/v1/accounts/{id}/reconnect` answers.
#[derive(ApiResponse)]
pub enum ReconnectResponse {
    /// The kick is cleared: the holder connects again.
    #[oai(status = 202)]
    Accepted(Json<ConnectionBody>),
    /// No such account, or not a `websocket` robot.
    #[oai(status = 404)]
    NotFound(Json<super::error::ErrorBody>),
    /// The lease store (Redis) does not answer; try again.
    #[oai(status = 503)]
    Unavailable(Json<super::error::ErrorBody>),
}

/// `/api/v1/accounts` answers.
#[derive(ApiResponse)]
pub enum AccountsResponse {
    /// The accounts.
    #[oai(status = 200)]
    Ok(Json<AccountsBody>),
}

impl AccountsApi {
    /// The routes over shared state.
    pub fn new(state: Arc<AppState>) -> Self {
        Self { state }
    }

    async fn connection(&self, account: &str) -> Option<ConnectionBody> {
        let view = self.state.long_connections.view(account).await?;
        Some(ConnectionBody {
            holder: view.holder,
            state: view.state,
            since: chrono::DateTime::from_timestamp_millis(view.since_ms)
                .filter(|_| view.since_ms > 0)
                .map(|at| at.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)),
        })
    }

    async fn body(&self, account: &Account) -> AccountBody {
        let mut routes = vec![account.route()];
        if account.legacy {
            routes.insert(0, account.family().route().to_owned());
        }
        let (callbacks, callbacks_detail) = match (&account.callback, account.enabled) {
            (_, false) => ("disabled", None),
            (Ok(_), true) => ("ready", None),
            (Err(reason), true) => ("unconfigured", Some(reason.clone())),
        };
        let send = account.can_send();
        AccountBody {
            id: account.id.to_string(),
            kind: account.kind.as_str().to_owned(),
            seed: account.legacy,
            enabled: account.enabled,
            routes,
            callbacks: callbacks.to_owned(),
            callbacks_detail,
            can_send: send.is_ok() && account.enabled,
            send_detail: send.err(),
            credentials_set: account.credentials_set().into_iter().map(str::to_owned).collect(),
            corp_id: account.corp_id.clone(),
            agent_id: account.agent_id,
            suite_id: account.suite_id.clone(),
            authorised_corps: (account.kind == AccountKind::Suite)
                .then(|| self.state.suite_corps.of(account.id.as_str())),
            bot_id: account.bot_id.clone(),
            connection: self.connection(account.id.as_str()).await,
        }
    }
}

#[OpenApi(tag = "ApiTags::Operations")]
impl AccountsApi {
    /// List accounts
    ///
    /// Every app, suite and robot served: the seed's `default` app and
    /// robot (from `WECHAT_*`) and those under `accounts:`, as of the last
    /// start or SIGHUP. Secrets are never shown, only which are set.
    #[oai(path = "/api/v1/accounts", method = "get", operation_id = "listAccounts")]
    async fn list(&self, _access: ReadAccess) -> Guarded<AccountsResponse> {
        Guarded::Allowed(
            async move {
                let routes = self.state.routes();
                let mut accounts = Vec::new();
                for account in routes.accounts.iter() {
                    accounts.push(self.body(account).await);
                }
                AccountsResponse::Ok(Json(AccountsBody { accounts }))
            }
            .await,
        )
    }

    /// Reconnect a robot's long connection
    ///
    /// Clears a kick (`disconnected_event`: another subscription took the
    /// bot over, so no replica reconnected) for every replica: the lease's
    /// holder connects again.
    #[oai(path = "/api/v1/accounts/:id/reconnect", method = "post", operation_id = "reconnectAccount")]
    async fn reconnect(
        &self,
        _access: WriteAccess,
        /// The robot account's id.
        id: Path<String>,
    ) -> Guarded<ReconnectResponse> {
        use crate::robot::longconn::ReconnectError;
        Guarded::Allowed(match self.state.long_connections.reconnect(&id.0).await {
            Ok(()) => {
                // The keeper wakes from its wait on its own task; show what it will do.
                let mut body = self.connection(&id.0).await.unwrap_or(ConnectionBody {
                    holder: None,
                    state: "connecting".to_owned(),
                    since: None,
                });
                if body.state == "kicked" {
                    body.state = "connecting".to_owned();
                }
                ReconnectResponse::Accepted(Json(body))
            }
            Err(error @ ReconnectError::NoConnection(_)) => ReconnectResponse::NotFound(
                super::error::ErrorBody::new("not_found", error.to_string(), None),
            ),
            Err(error @ ReconnectError::Store(_)) => ReconnectResponse::Unavailable(
                super::error::ErrorBody::new("lease_store_unavailable", error.to_string(), None),
            ),
        })
    }
}
