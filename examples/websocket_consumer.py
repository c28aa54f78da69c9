"""A Wazo WebSocket consumer, as web apps and the JS SDK connect.

It opens `<SWITCHBOARD_WS_URL>?token=<SWITCHBOARD_WS_TOKEN>&version=2`,
subscribes to every event (`*`), sends `start`, and prints one line per
event: its name and its data. Snapshot-test what it prints for a scenario:

    switchboard check --consumer 'python3 examples/websocket_consumer.py' \
        --scenario scenarios/call_lifecycle.toml --profile wazo --websocket

Needs the `websockets` package from PyPI (pip install websockets).
"""

import asyncio
import json
import os

import websockets


async def main():
    url = '{}?token={}&version=2'.format(
        os.environ['SWITCHBOARD_WS_URL'], os.environ['SWITCHBOARD_WS_TOKEN']
    )
    async with websockets.connect(url) as ws:
        init = json.loads(await ws.recv())
        assert init == {'op': 'init', 'code': 0, 'data': {'version': 2}}, init
        await ws.send(json.dumps({'op': 'subscribe', 'data': {'event_name': '*'}}))
        assert json.loads(await ws.recv())['op'] == 'subscribe'
        await ws.send(json.dumps({'op': 'start'}))
        assert json.loads(await ws.recv())['op'] == 'start'
        async for frame in ws:
            message = json.loads(frame)
            if message['op'] != 'event':
                continue
            event = message['data']
            print(event['name'], json.dumps(event['data'], sort_keys=True), flush=True)


asyncio.run(main())
