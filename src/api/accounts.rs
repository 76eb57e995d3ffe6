//! `GET /api/v1/accounts`: every app, suite and robot the service serves,
//! with its routes and which credentials are set — never a secret.

use std::sync::Arc;

use poem_openapi::{ApiResponse, Object, OpenApi, payload::Json};

use super::auth::{Guarded, ReadAccess};
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
}

/// Every account.
#[derive(Debug, Clone, Object)]
pub struct AccountsBody {
    /// Apps and suites first, then robots, each by id.
    pub accounts: Vec<AccountBody>,
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

    fn body(&self, account: &Account) -> AccountBody {
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
                let accounts = routes.accounts.iter().map(|account| self.body(account)).collect();
                AccountsResponse::Ok(Json(AccountsBody { accounts }))
            }
            .await,
        )
    }
}
