"""A Wazo bus consumer like the one in the Wazo message bus documentation.

It listens for wazo-calld's call events on the `xivo` topic exchange and
prints one line per event. Run it against switchboard to snapshot-test what
it prints for a scenario:

    switchboard check --consumer 'python3 examples/kombu_consumer.py' \
        --scenario scenarios/call_lifecycle.toml

switchboard gives the broker's URL in SWITCHBOARD_AMQP_URL (and AMQP_URL).
The documentation's example binds `calls.*`, which matches no call event
(their keys have three words); this one binds `calls.call.*` and
`calls.hold.*`.
"""

import os

import kombu
from kombu.mixins import ConsumerMixin

EXCHANGE = kombu.Exchange('xivo', type='topic')
ROUTING_KEYS = ['calls.call.*', 'calls.hold.*']
URL = os.environ.get('SWITCHBOARD_AMQP_URL') or os.environ.get(
    'AMQP_URL', 'amqp://guest:guest@localhost:5672//'
)


class CallPrinter(ConsumerMixin):
    def __init__(self, connection):
        self.connection = connection

    def get_consumers(self, Consumer, channel):
        queue = kombu.Queue(
            exchange=EXCHANGE,
            bindings=[kombu.binding(EXCHANGE, routing_key=key) for key in ROUTING_KEYS],
            exclusive=True,
        )
        return [Consumer(queues=[queue], callbacks=[self.on_message], accept=['json'])]

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        print('ready', flush=True)

    def on_message(self, body, message):
        data = body.get('data', {})
        line = [body.get('name'), data.get('call_id')]
        if 'status' in data:
            line.append(data['status'])
            line.append('talking to %d' % len(data.get('talking_to') or {}))
        print('Received:', ' '.join(str(part) for part in line), flush=True)
        message.ack()


def main():
    with kombu.Connection(URL) as connection:
        try:
            CallPrinter(connection).run()
        except KeyboardInterrupt:
            return


if __name__ == '__main__':
    main()
