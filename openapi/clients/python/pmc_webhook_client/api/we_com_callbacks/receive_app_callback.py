from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.error_body import ErrorBody
from ...types import UNSET, Unset
from typing import cast



def _get_kwargs(
    *,
    msg_signature: str | Unset = UNSET,
    timestamp: str | Unset = UNSET,
    nonce: str | Unset = UNSET,

) -> dict[str, Any]:
    

    

    params: dict[str, Any] = {}

    params["msg_signature"] = msg_signature

    params["timestamp"] = timestamp

    params["nonce"] = nonce


    params = {k: v for k, v in params.items() if v is not UNSET and v is not None}


    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/webhooks/wechat/api",
        "params": params,
    }


    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorBody | str | None:
    if response.status_code == 200:
        response_200 = response.text
        return response_200

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())



        return response_400

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())



        return response_403

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())



        return response_404

    if response.status_code == 413:
        response_413 = ErrorBody.from_dict(response.json())



        return response_413

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ErrorBody | str]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient | Client,
    msg_signature: str | Unset = UNSET,
    timestamp: str | Unset = UNSET,
    nonce: str | Unset = UNSET,

) -> Response[ErrorBody | str]:
    """ Receive an app or suite callback

     The encrypted XML envelope `<xml><ToUserName/><AgentID/><Encrypt/></xml>`
    as the raw body (any Content-Type). Answered 200 only after the
    callback is committed to the local event log.

    Args:
        msg_signature (str | Unset):
        timestamp (str | Unset):
        nonce (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | str]
     """


    kwargs = _get_kwargs(
        msg_signature=msg_signature,
timestamp=timestamp,
nonce=nonce,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient | Client,
    msg_signature: str | Unset = UNSET,
    timestamp: str | Unset = UNSET,
    nonce: str | Unset = UNSET,

) -> ErrorBody | str | None:
    """ Receive an app or suite callback

     The encrypted XML envelope `<xml><ToUserName/><AgentID/><Encrypt/></xml>`
    as the raw body (any Content-Type). Answered 200 only after the
    callback is committed to the local event log.

    Args:
        msg_signature (str | Unset):
        timestamp (str | Unset):
        nonce (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | str
     """


    return sync_detailed(
        client=client,
msg_signature=msg_signature,
timestamp=timestamp,
nonce=nonce,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient | Client,
    msg_signature: str | Unset = UNSET,
    timestamp: str | Unset = UNSET,
    nonce: str | Unset = UNSET,

) -> Response[ErrorBody | str]:
    """ Receive an app or suite callback

     The encrypted XML envelope `<xml><ToUserName/><AgentID/><Encrypt/></xml>`
    as the raw body (any Content-Type). Answered 200 only after the
    callback is committed to the local event log.

    Args:
        msg_signature (str | Unset):
        timestamp (str | Unset):
        nonce (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | str]
     """


    kwargs = _get_kwargs(
        msg_signature=msg_signature,
timestamp=timestamp,
nonce=nonce,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient | Client,
    msg_signature: str | Unset = UNSET,
    timestamp: str | Unset = UNSET,
    nonce: str | Unset = UNSET,

) -> ErrorBody | str | None:
    """ Receive an app or suite callback

     The encrypted XML envelope `<xml><ToUserName/><AgentID/><Encrypt/></xml>`
    as the raw body (any Content-Type). Answered 200 only after the
    callback is committed to the local event log.

    Args:
        msg_signature (str | Unset):
        timestamp (str | Unset):
        nonce (str | Unset):

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | str
     """


    return (await asyncio_detailed(
        client=client,
msg_signature=msg_signature,
timestamp=timestamp,
nonce=nonce,

    )).parsed
