from http import HTTPStatus
from typing import Any, cast
from urllib.parse import quote

import httpx

from ...client import AuthenticatedClient, Client
from ...types import Response, UNSET
from ... import errors

from ...models.card_update import CardUpdate
from ...models.error_body import ErrorBody
from ...models.we_com_answer_body import WeComAnswerBody
from typing import cast



def _get_kwargs(
    id: str,
    *,
    body: CardUpdate,

) -> dict[str, Any]:
    headers: dict[str, Any] = {}


    

    

    _kwargs: dict[str, Any] = {
        "method": "patch",
        "url": "/api/v1/messages/{id}/card".format(id=quote(str(id), safe=""),),
    }

    _kwargs["json"] = body.to_dict()

    headers["Content-Type"] = "application/json; charset=utf-8"

    _kwargs["headers"] = headers
    return _kwargs



def _parse_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> ErrorBody | WeComAnswerBody | None:
    if response.status_code == 200:
        response_200 = WeComAnswerBody.from_dict(response.json())



        return response_200

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

    if response.status_code == 502:
        response_502 = WeComAnswerBody.from_dict(response.json())



        return response_502

    if response.status_code == 503:
        response_503 = ErrorBody.from_dict(response.json())



        return response_503

    if client.raise_on_unexpected_status:
        raise errors.UnexpectedStatus(response.status_code, response.content)
    else:
        return None


def _build_response(*, client: AuthenticatedClient | Client, response: httpx.Response) -> Response[ErrorBody | WeComAnswerBody]:
    return Response(
        status_code=HTTPStatus(response.status_code),
        content=response.content,
        headers=response.headers,
        parsed=_parse_response(client=client, response=response),
    )


def sync_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    body: CardUpdate,

) -> Response[ErrorBody | WeComAnswerBody]:
    """ Update a sent template card

     WeCom's `message/update_template_card` with the `response_code` the
    send returned (usable once, within 72 hours): grey out the buttons or
    replace the card, for everyone or the users given.

    Args:
        id (str):
        body (CardUpdate): A card update: grey out the buttons with `button.replace_name`, or
            replace the card with `template_card`; for all recipients (default) or
            the users, parties and tags given. Example: {'userids': [], 'partyids': [], 'tagids': [],
            'button': {'replace_name': '已处理'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | WeComAnswerBody]
     """


    kwargs = _get_kwargs(
        id=id,
body=body,

    )

    response = client.get_httpx_client().request(
        **kwargs,
    )

    return _build_response(client=client, response=response)

def sync(
    id: str,
    *,
    client: AuthenticatedClient,
    body: CardUpdate,

) -> ErrorBody | WeComAnswerBody | None:
    """ Update a sent template card

     WeCom's `message/update_template_card` with the `response_code` the
    send returned (usable once, within 72 hours): grey out the buttons or
    replace the card, for everyone or the users given.

    Args:
        id (str):
        body (CardUpdate): A card update: grey out the buttons with `button.replace_name`, or
            replace the card with `template_card`; for all recipients (default) or
            the users, parties and tags given. Example: {'userids': [], 'partyids': [], 'tagids': [],
            'button': {'replace_name': '已处理'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | WeComAnswerBody
     """


    return sync_detailed(
        id=id,
client=client,
body=body,

    ).parsed

async def asyncio_detailed(
    id: str,
    *,
    client: AuthenticatedClient,
    body: CardUpdate,

) -> Response[ErrorBody | WeComAnswerBody]:
    """ Update a sent template card

     WeCom's `message/update_template_card` with the `response_code` the
    send returned (usable once, within 72 hours): grey out the buttons or
    replace the card, for everyone or the users given.

    Args:
        id (str):
        body (CardUpdate): A card update: grey out the buttons with `button.replace_name`, or
            replace the card with `template_card`; for all recipients (default) or
            the users, parties and tags given. Example: {'userids': [], 'partyids': [], 'tagids': [],
            'button': {'replace_name': '已处理'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        Response[ErrorBody | WeComAnswerBody]
     """


    kwargs = _get_kwargs(
        id=id,
body=body,

    )

    response = await client.get_async_httpx_client().request(
        **kwargs
    )

    return _build_response(client=client, response=response)

async def asyncio(
    id: str,
    *,
    client: AuthenticatedClient,
    body: CardUpdate,

) -> ErrorBody | WeComAnswerBody | None:
    """ Update a sent template card

     WeCom's `message/update_template_card` with the `response_code` the
    send returned (usable once, within 72 hours): grey out the buttons or
    replace the card, for everyone or the users given.

    Args:
        id (str):
        body (CardUpdate): A card update: grey out the buttons with `button.replace_name`, or
            replace the card with `template_card`; for all recipients (default) or
            the users, parties and tags given. Example: {'userids': [], 'partyids': [], 'tagids': [],
            'button': {'replace_name': '已处理'}}.

    Raises:
        errors.UnexpectedStatus: If the server returns an undocumented status code and Client.raise_on_unexpected_status is True.
        httpx.TimeoutException: If the request takes longer than Client.timeout.

    Returns:
        ErrorBody | WeComAnswerBody
     """


    return (await asyncio_detailed(
        id=id,
client=client,
body=body,

    )).parsed
