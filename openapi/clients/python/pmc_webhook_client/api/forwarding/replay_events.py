from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.error_body import ErrorBody
from ...models.replay_body import ReplayBody
from ...models.replay_request import ReplayRequest
from typing import cast



def _get_kwargs(
    *,
    body: ReplayRequest,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}


    

    

    _kwargs: dict[str, Any] = {
        "method": "post",
        "url": "/api/v1/events/replay",
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json; charset=utf-8"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorBody | ReplayBody | None:
    if response.status_code == 200:
        response_200 = ReplayBody.from_dict(response.json())



        return response_200

    if response.status_code == 201:
        response_201 = ReplayBody.from_dict(response.json())



        return response_201

    if response.status_code == 400:
        response_400 = ErrorBody.from_dict(response.json())



        return response_400

    if response.status_code == 401:
        response_401 = ErrorBody.from_dict(response.json())



        return response_401

    if response.status_code == 403:
        response_403 = ErrorBody.from_dict(response.json())



        return response_403

    if response.status_code == 404:
        response_404 = ErrorBody.from_dict(response.json())



        return response_404

    if response.status_code == 409:
        response_409 = ErrorBody.from_dict(response.json())



        return response_409

    if response.status_code == 422:
        response_422 = ErrorBody.from_dict(response.json())



        return response_422

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ErrorBody | ReplayBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    *,
    client: AuthenticatedClient,
    body: ReplayRequest,

) -> Response[ErrorBody | ReplayBody]:
    """ Replay stored events

     Forwards again, as new deliveries, the stored events of the kinds
    asked for in a time range — to one subscription or every one that
    wants them (a receiver that lost data, a new subscriber catching up).

    Args:
        body (ReplayRequest): What to replay. Example: {'since': '2026-11-28T00:00:00+00:00',
            'until': '2026-11-28T12:00:00+00:00', 'kinds': ['status'], 'subscription_id':
            'sub_0123456789abcdef01234567'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ReplayBody]
     """


    kwargs = _get_kwargs(
        body=body,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    *,
    client: AuthenticatedClient,
    body: ReplayRequest,

) -> ErrorBody | ReplayBody | None:
    """ Replay stored events

     Forwards again, as new deliveries, the stored events of the kinds
    asked for in a time range — to one subscription or every one that
    wants them (a receiver that lost data, a new subscriber catching up).

    Args:
        body (ReplayRequest): What to replay. Example: {'since': '2026-11-28T00:00:00+00:00',
            'until': '2026-11-28T12:00:00+00:00', 'kinds': ['status'], 'subscription_id':
            'sub_0123456789abcdef01234567'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ReplayBody
     """


    return sync_detailed(
        client=client,
body=body,

    ).parsed

async def asyncio_detailed(
    *,
    client: AuthenticatedClient,
    body: ReplayRequest,

) -> Response[ErrorBody | ReplayBody]:
    """ Replay stored events

     Forwards again, as new deliveries, the stored events of the kinds
    asked for in a time range — to one subscription or every one that
    wants them (a receiver that lost data, a new subscriber catching up).

    Args:
        body (ReplayRequest): What to replay. Example: {'since': '2026-11-28T00:00:00+00:00',
            'until': '2026-11-28T12:00:00+00:00', 'kinds': ['status'], 'subscription_id':
            'sub_0123456789abcdef01234567'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | ReplayBody]
     """


    kwargs = _get_kwargs(
        body=body,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    *,
    client: AuthenticatedClient,
    body: ReplayRequest,

) -> ErrorBody | ReplayBody | None:
    """ Replay stored events

     Forwards again, as new deliveries, the stored events of the kinds
    asked for in a time range — to one subscription or every one that
    wants them (a receiver that lost data, a new subscriber catching up).

    Args:
        body (ReplayRequest): What to replay. Example: {'since': '2026-11-28T00:00:00+00:00',
            'until': '2026-11-28T12:00:00+00:00', 'kinds': ['status'], 'subscription_id':
            'sub_0123456789abcdef01234567'}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | ReplayBody
     """


    return (await asyncio_detailed(
        client=client,
body=body,

    )).parsed
