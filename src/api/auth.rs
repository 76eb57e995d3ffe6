//! Bearer tokens on the management API, as poem-openapi security schemes:
//! an operation that takes [`ReadAccess`] or [`WriteAccess`] is documented
//! as needing the `ApiToken` scheme and is refused before it runs unless the
//! request carries a token of that scope. Refusals are JSON, 401 (no token or
//! an unknown one) or 403 (a read-only token on a write), and never echo the
//! token. Operations return [`Guarded`], which adds both answers to their
//! documented responses.

use std::sync::Arc;

use poem::{IntoResponse, Request, Response};
use poem_openapi::{
    ApiResponse, SecurityScheme,
    auth::Bearer,
    error::AuthorizationError,
    payload::Json,
    registry::{MetaResponses, Registry},
};

use super::error::ErrorBody;
use crate::security::{ApiTokens, Scope};

/// A token from `PMC_API_TOKENS` (`ro:` read-only, `rw:` read-write), or the
/// one generated at first start in the data directory (file `api_token`).
/// Read operations take any token; the others need a read-write one.
#[derive(SecurityScheme)]
#[oai(rename = "ApiToken", ty = "bearer", checker = "read_access")]
pub struct ReadAccess(#[allow(dead_code)] Scope);

/// A token from `PMC_API_TOKENS` (`ro:` read-only, `rw:` read-write), or the
/// one generated at first start in the data directory (file `api_token`).
/// Read operations take any token; the others need a read-write one.
#[derive(SecurityScheme)]
#[oai(rename = "ApiToken", ty = "bearer", checker = "write_access")]
pub struct WriteAccess(#[allow(dead_code)] Scope);

async fn read_access(request: &Request, bearer: Bearer) -> poem::Result<Scope> {
    check(request, &bearer, Scope::ReadOnly)
}

async fn write_access(request: &Request, bearer: Bearer) -> poem::Result<Scope> {
    check(request, &bearer, Scope::ReadWrite)
}

fn check(request: &Request, bearer: &Bearer, needed: Scope) -> poem::Result<Scope> {
    // `routes` always attaches the tokens; without them nothing is allowed.
    let scope = request.data::<Arc<ApiTokens>>().and_then(|tokens| tokens.scope_of(&bearer.token));
    match scope {
        None => Err(AccessDenied::UnknownToken.into()),
        Some(scope) if scope < needed => Err(AccessDenied::ReadOnly.into()),
        Some(scope) => Ok(scope),
    }
}

/// Why a management call was refused.
#[derive(Debug, thiserror::Error)]
enum AccessDenied {
    #[error("the bearer token is not valid")]
    UnknownToken,
    #[error("this token is read-only; the operation needs a read-write (rw:) token")]
    ReadOnly,
}

impl poem::error::ResponseError for AccessDenied {
    fn status(&self) -> http::StatusCode {
        match self {
            AccessDenied::UnknownToken => http::StatusCode::UNAUTHORIZED,
            AccessDenied::ReadOnly => http::StatusCode::FORBIDDEN,
        }
    }
}

/// The refusals, documented on every guarded operation.
#[derive(ApiResponse)]
enum Refusal {
    /// No bearer token, or not one of ours.
    #[oai(status = 401)]
    Unauthorized(Json<ErrorBody>, #[oai(header = "WWW-Authenticate")] String),
    /// A read-only token on an operation that changes something.
    #[oai(status = 403)]
    Forbidden(Json<ErrorBody>),
}

impl Refusal {
    fn from_error(error: &poem::Error) -> Option<Self> {
        let unauthorized = |error: &str, message: &str| {
            Refusal::Unauthorized(ErrorBody::new(error, message, None), "Bearer".to_owned())
        };
        if error.is::<AuthorizationError>() {
            return Some(unauthorized(
                "missing_token",
                "send Authorization: Bearer <token> (PMC_API_TOKENS, or api_token in the data directory)",
            ));
        }
        match error.downcast_ref::<AccessDenied>()? {
            denied @ AccessDenied::UnknownToken => Some(unauthorized("invalid_token", &denied.to_string())),
            denied @ AccessDenied::ReadOnly => {
                Some(Refusal::Forbidden(ErrorBody::new("insufficient_scope", denied.to_string(), None)))
            }
        }
    }
}

/// An operation's own answer, or a refusal of its caller.
pub enum Guarded<R> {
    /// The caller was allowed; the operation answered.
    Allowed(R),
    /// Refused before the operation ran (or a request it could not parse,
    /// for operations with no answer of their own for that).
    Refused(Response),
}

impl<R> From<R> for Guarded<R> {
    fn from(answer: R) -> Self {
        Guarded::Allowed(answer)
    }
}

impl<R: IntoResponse> IntoResponse for Guarded<R> {
    fn into_response(self) -> Response {
        match self {
            Guarded::Allowed(answer) => answer.into_response(),
            Guarded::Refused(response) => response,
        }
    }
}

impl<R: ApiResponse> ApiResponse for Guarded<R> {
    // Always: the security scheme's failures arrive as request errors.
    const BAD_REQUEST_HANDLER: bool = true;

    fn meta() -> MetaResponses {
        let mut meta = R::meta();
        meta.responses.extend(Refusal::meta().responses);
        meta
    }

    fn register(registry: &mut Registry) {
        R::register(registry);
        Refusal::register(registry);
    }

    fn from_parse_request_error(error: poem::Error) -> Self {
        if let Some(refusal) = Refusal::from_error(&error) {
            Guarded::Refused(refusal.into_response())
        } else if R::BAD_REQUEST_HANDLER {
            Guarded::Allowed(R::from_parse_request_error(error))
        } else {
            Guarded::Refused(error.into_response())
        }
    }
}
