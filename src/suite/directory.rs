//! Suite and corp access tokens, for the keeper and the send path.
//!
//! A suite has one `suite_access_token` (`get_suite_token` with the suite
//! id, secret and the newest `suite_ticket`); each corp that authorised it
//! has its own access token (`get_corp_token` with the suite token and the
//! corp's permanent code). Both are [`SharedToken`]s: cached until shortly
//! before they expire, refreshed single-flight, shared across replicas
//! through Redis like the app's token.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex},
};

use arc_swap::ArcSwap;
use secrecy::{ExposeSecret, SecretString};
use serde_json::{Value, json};

use super::{
    AuthorisedCorps, SuiteError,
    store::{ACTIVE, Authorisation, SuiteStore},
};
use crate::{
    accounts::{Account, Accounts, Family},
    cache::StatusCache,
    configuration::AccountKind,
    outbound::{
        ApiAnswer, WeComApi,
        token::{Fetch, SharedToken, host_key_name, key_name},
    },
};

/// Answers that mean the suite token is invalid or expired: 40014/42001
/// (WeCom's generic token codes), 40082 (invalid suite_token), 42009
/// (suite_access_token expired). The token is replaced once and the call
/// tried once more.
pub const SUITE_TOKEN_ERRORS: [i64; 4] = [40014, 42001, 40082, 42009];

/// What the send path needs to send as the suite's app in one corp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorpSender {
    /// The corp.
    pub corp_id: String,
    /// Its access token (for `message/send?access_token=…`).
    pub access_token: String,
    /// The suite's app in that corp, if `create_auth` named one.
    pub agent_id: Option<i64>,
}

/// Every suite account's tokens.
pub struct SuiteDirectory {
    accounts: ArcSwap<Accounts>,
    store: SuiteStore,
    authorised: AuthorisedCorps,
    shared: StatusCache,
    suites: Mutex<HashMap<String, Arc<Suite>>>,
    corps: Mutex<HashMap<(String, String), Arc<Corp>>>,
}

impl SuiteDirectory {
    /// For `accounts`' suites, over `store`; `authorised` is the in-memory
    /// set the callback routes read (a cached corp token is only handed out
    /// while its corp is in it).
    pub fn new(
        accounts: Arc<Accounts>,
        store: SuiteStore,
        authorised: AuthorisedCorps,
        shared: StatusCache,
    ) -> Self {
        Self {
            accounts: ArcSwap::new(accounts),
            store,
            authorised,
            shared,
            suites: Mutex::default(),
            corps: Mutex::default(),
        }
    }

    /// The accounts changed (a reload): tokens of changed credentials are
    /// rebuilt on their next use.
    pub fn set_accounts(&self, accounts: Arc<Accounts>) {
        self.accounts.store(accounts);
    }

    /// The suite account `id`, if configured.
    pub fn account(&self, id: &str) -> Option<Arc<Account>> {
        self.accounts
            .load()
            .get(Family::Api, id)
            .filter(|account| account.kind == AccountKind::Suite)
            .cloned()
    }

    /// The suite tables.
    pub fn store(&self) -> &SuiteStore {
        &self.store
    }

    /// The corps authorised, in memory.
    pub fn authorised(&self) -> &AuthorisedCorps {
        &self.authorised
    }

    /// How many times this process fetched `account`'s suite token.
    pub fn suite_tokens_fetched(&self, account: &str) -> u64 {
        self.suites.lock().expect("suites lock").get(account).map_or(0, |suite| suite.token.fetched())
    }

    /// `get_permanent_code` for a `create_auth`'s auth code.
    pub async fn permanent_code(&self, account: &str, auth_code: &str) -> Result<Authorisation, SuiteError> {
        const API: &str = "get_permanent_code";
        let suite = self.suite(account)?;
        let answer = suite.call("service/get_permanent_code", &json!({"auth_code": auth_code})).await?;
        if answer.errcode != 0 {
            return Err(SuiteError::Refused { api: API, errcode: answer.errcode, errmsg: answer.errmsg });
        }
        let corp = answer.body.get("auth_corp_info");
        let text = |key: &str| corp.and_then(|corp| corp.get(key)).and_then(Value::as_str).map(str::to_owned);
        match (text("corpid").filter(|id| !id.is_empty()), answer.text("permanent_code")) {
            (Some(corp_id), Some(permanent_code)) => Ok(Authorisation {
                corp_id,
                corp_name: text("corp_name").unwrap_or_default(),
                permanent_code,
                agent_id: first_agent(&answer.body),
            }),
            _ => Err(SuiteError::Refused {
                api: API,
                errcode: 0,
                errmsg: "the answer lacks permanent_code or auth_corp_info.corpid".to_owned(),
            }),
        }
    }

    /// `get_auth_info`: the corp's current name and the suite's agent there.
    pub async fn auth_info(&self, account: &str, corp_id: &str) -> Result<(String, Option<i64>), SuiteError> {
        let row = self.active_row(account, corp_id).await?;
        let body = json!({"auth_corpid": corp_id, "permanent_code": row.permanent_code});
        let answer = self.suite(account)?.call("service/get_auth_info", &body).await?;
        if answer.errcode != 0 {
            return Err(SuiteError::Refused {
                api: "get_auth_info",
                errcode: answer.errcode,
                errmsg: answer.errmsg,
            });
        }
        let name = answer.body.pointer("/auth_corp_info/corp_name").and_then(Value::as_str);
        Ok((name.unwrap_or(&row.corp_name).to_owned(), first_agent(&answer.body).or(row.agent_id)))
    }

    /// A token to send as the suite's app in `corp_id`.
    pub async fn corp_sender(&self, account: &str, corp_id: &str) -> Result<CorpSender, SuiteError> {
        let corp = self.corp(account, corp_id).await?;
        self.sender(account, corp_id, &corp, corp.token.token().await)
    }

    /// WeCom rejected `rejected` (40014/42001): a fresh corp token, fetched
    /// once however many senders saw the rejection.
    pub async fn replace(
        &self,
        account: &str,
        corp_id: &str,
        rejected: &str,
    ) -> Result<CorpSender, SuiteError> {
        let corp = self.corp(account, corp_id).await?;
        self.sender(account, corp_id, &corp, corp.token.replace(rejected).await)
    }

    /// Forgets the cached token of a corp whose authorisation changed.
    pub fn forget_corp(&self, account: &str, corp_id: &str) {
        self.corps.lock().expect("corps lock").remove(&(account.to_owned(), corp_id.to_owned()));
    }

    fn sender(
        &self,
        account: &str,
        corp_id: &str,
        corp: &Corp,
        token: Result<String, SuiteError>,
    ) -> Result<CorpSender, SuiteError> {
        match token {
            Ok(access_token) => {
                Ok(CorpSender { corp_id: corp_id.to_owned(), access_token, agent_id: corp.agent_id })
            }
            Err(error) => {
                // A refused permanent code may have been replaced by a new
                // authorisation: read the store again next time.
                if !error.is_transient() {
                    self.forget_corp(account, corp_id);
                }
                Err(error)
            }
        }
    }

    /// The suite of `account`, rebuilt when its credentials changed.
    fn suite(&self, account: &str) -> Result<Arc<Suite>, SuiteError> {
        let configured = self.account(account).ok_or_else(|| SuiteError::NotASuite(account.to_owned()))?;
        configured.can_send().map_err(SuiteError::Credentials)?;
        let (Some(suite_id), Some(suite_secret)) = (&configured.suite_id, &configured.suite_secret) else {
            return Err(SuiteError::Credentials(format!(
                "suite account {account} needs suite_id, suite_secret"
            )));
        };
        let fingerprint = key_name(&[suite_id, suite_secret.expose_secret(), &configured.base_url]);
        let mut suites = self.suites.lock().expect("suites lock");
        if let Some(suite) = suites.get(account).filter(|suite| suite.fingerprint == fingerprint) {
            return Ok(Arc::clone(suite));
        }
        let api = WeComApi::new(&configured.base_url);
        let fetcher = SuiteToken {
            api: api.clone(),
            account: account.to_owned(),
            suite_id: suite_id.clone(),
            suite_secret: suite_secret.clone(),
            store: self.store.clone(),
        };
        let name = format!(
            "suite-{}",
            host_key_name(&[suite_id, suite_secret.expose_secret()], &configured.base_url)
        );
        let suite = Arc::new(Suite {
            suite_id: suite_id.clone(),
            fingerprint,
            api,
            token: SharedToken::with_fetcher(fetcher, name, self.shared.clone()),
        });
        suites.insert(account.to_owned(), Arc::clone(&suite));
        Ok(suite)
    }

    async fn active_row(
        &self,
        account: &str,
        corp_id: &str,
    ) -> Result<super::entity::suite_corp::Model, SuiteError> {
        self.store.corp(account, corp_id).await?.filter(|row| row.state == ACTIVE).ok_or_else(|| {
            SuiteError::NotAuthorised { account: account.to_owned(), corp_id: corp_id.to_owned() }
        })
    }

    /// The corp's token source: the cached one while the corp is
    /// authorised, else built from its row (the store is the authority: a
    /// corp another replica authorised a moment ago may not be in memory yet).
    async fn corp(&self, account: &str, corp_id: &str) -> Result<Arc<Corp>, SuiteError> {
        let suite = self.suite(account)?;
        let key = (account.to_owned(), corp_id.to_owned());
        let cached = self.corps.lock().expect("corps lock").get(&key).cloned();
        if let Some(corp) = cached.filter(|corp| Arc::ptr_eq(&corp.suite, &suite))
            && self.authorised.contains(account, corp_id)
        {
            return Ok(corp);
        }
        let row = match self.active_row(account, corp_id).await {
            Ok(row) => row,
            Err(error) => {
                self.forget_corp(account, corp_id);
                return Err(error);
            }
        };
        let name = format!(
            "corp-{}",
            host_key_name(&[&suite.suite_id, corp_id, &row.permanent_code], suite.api.base_url())
        );
        let fetcher = CorpToken {
            suite: Arc::clone(&suite),
            corp_id: corp_id.to_owned(),
            permanent_code: SecretString::from(row.permanent_code),
        };
        let fresh = Arc::new(Corp {
            suite: Arc::clone(&suite),
            agent_id: row.agent_id,
            token: SharedToken::with_fetcher(fetcher, name, self.shared.clone()),
        });
        let mut corps = self.corps.lock().expect("corps lock");
        // Another caller may have built it meanwhile: keep one, so its
        // refreshes stay single-flight.
        match corps.get(&key) {
            Some(corp) if Arc::ptr_eq(&corp.suite, &suite) && corp.token.name() == fresh.token.name() => {
                Ok(Arc::clone(corp))
            }
            _ => {
                corps.insert(key, Arc::clone(&fresh));
                Ok(fresh)
            }
        }
    }
}

/// `auth_info.agent[0].agentid`.
fn first_agent(body: &Value) -> Option<i64> {
    body.pointer("/auth_info/agent/0/agentid").and_then(Value::as_i64)
}

/// One suite account's API host and suite token.
struct Suite {
    suite_id: String,
    /// Names the credentials and host it was built with.
    fingerprint: String,
    api: WeComApi,
    token: SharedToken<SuiteToken>,
}

impl Suite {
    /// `POST /cgi-bin/{path}?suite_access_token=…`; a rejected token is
    /// replaced once and the call tried once more.
    async fn call(&self, path: &str, body: &Value) -> Result<ApiAnswer, SuiteError> {
        let token = self.token.token().await?;
        let answer = self.api.post_with_query(path, &[("suite_access_token", &token)], body).await?;
        if !SUITE_TOKEN_ERRORS.contains(&answer.errcode) {
            return Ok(answer);
        }
        tracing::info!(
            errcode = answer.errcode,
            "WeCom rejected the suite access token; fetching a new one."
        );
        let fresh = self.token.replace(&token).await?;
        Ok(self.api.post_with_query(path, &[("suite_access_token", &fresh)], body).await?)
    }
}

/// One authorised corp's token.
struct Corp {
    /// The suite it was built for (rebuilt when that changes).
    suite: Arc<Suite>,
    agent_id: Option<i64>,
    token: SharedToken<CorpToken>,
}

/// `get_suite_token` with the newest stored ticket.
struct SuiteToken {
    api: WeComApi,
    account: String,
    suite_id: String,
    suite_secret: SecretString,
    store: SuiteStore,
}

impl Fetch for SuiteToken {
    type Error = SuiteError;

    async fn fetch(&self) -> Result<(String, u64), SuiteError> {
        let ticket = self
            .store
            .ticket(&self.account)
            .await?
            .ok_or_else(|| SuiteError::NoTicket(self.account.clone()))?;
        let body = json!({
            "suite_id": self.suite_id,
            "suite_secret": self.suite_secret.expose_secret(),
            "suite_ticket": ticket,
        });
        let answer = self.api.post_with_query("service/get_suite_token", &[], &body).await?;
        let fetched = token_of(answer, "get_suite_token", "suite_access_token")?;
        tracing::info!(account = %self.account, expires_in = fetched.1, "Fetched a suite access token.");
        Ok(fetched)
    }
}

/// `get_corp_token` with the corp's permanent code.
struct CorpToken {
    suite: Arc<Suite>,
    corp_id: String,
    permanent_code: SecretString,
}

impl Fetch for CorpToken {
    type Error = SuiteError;

    async fn fetch(&self) -> Result<(String, u64), SuiteError> {
        let body =
            json!({"auth_corpid": self.corp_id, "permanent_code": self.permanent_code.expose_secret()});
        let answer = self.suite.call("service/get_corp_token", &body).await?;
        let fetched = token_of(answer, "get_corp_token", "access_token")?;
        tracing::info!(corp_id = %self.corp_id, expires_in = fetched.1, "Fetched a corp access token.");
        Ok(fetched)
    }
}

/// The token in `field` and its `expires_in`, or WeCom's refusal.
fn token_of(answer: ApiAnswer, api: &'static str, field: &str) -> Result<(String, u64), SuiteError> {
    match (answer.errcode, answer.text(field)) {
        (0, Some(token)) => {
            Ok((token, answer.body.get("expires_in").and_then(Value::as_u64).unwrap_or(7200)))
        }
        (errcode, _) => Err(SuiteError::Refused { api, errcode, errmsg: answer.errmsg }),
    }
}
