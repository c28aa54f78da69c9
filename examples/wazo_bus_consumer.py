"""A consumer written the way current Wazo's daemons consume (wazo-bus).

wazo-bus binds one auto-deleted queue to the `wazo-headers` headers exchange
with the arguments `{name: <event>, x-match: all}` per event it subscribes
to, and reads the event name from the `name` header. A WebSocket-like
consumer of one user binds `{user_uuid:<uuid>: true}` instead. This script
does both, with kombu, and prints one line per delivery:

    by-name call_created calls.call.created
    by-user call_held calls.hold.created

Run it against switchboard's `wazo` profile:

    switchboard check --profile wazo --scenario scenarios/call_lifecycle.toml \
        --consumer 'python3 examples/wazo_bus_consumer.py call_created call_ended --user UUID'

Arguments: the event names to subscribe to by name, then optionally
`--user UUID` to also bind that user's events. The exchange is
`wazo-headers` unless WAZO_HEADERS_EXCHANGE says otherwise; the broker's URL
comes from SWITCHBOARD_AMQP_URL (or AMQP_URL).
"""

import os
import sys

import kombu
from kombu.mixins import ConsumerMixin

URL = os.environ.get('SWITCHBOARD_AMQP_URL') or os.environ.get(
    'AMQP_URL', 'amqp://guest:guest@localhost:5672//'
)
EXCHANGE = kombu.Exchange(
    os.environ.get('WAZO_HEADERS_EXCHANGE', 'wazo-headers'), type='headers', durable=True
)


def parse_arguments(arguments):
    names, user = [], None
    iterator = iter(arguments)
    for argument in iterator:
        if argument == '--user':
            user = next(iterator, None)
        else:
            names.append(argument)
    return names, user


class WazoBusPrinter(ConsumerMixin):
    def __init__(self, connection, names, user):
        self.connection = connection
        self.names = names
        self.user = user

    def get_consumers(self, Consumer, channel):
        consumers = []
        if self.names:
            by_name = kombu.Queue(
                exchange=EXCHANGE,
                bindings=[
                    kombu.binding(EXCHANGE, arguments={'name': name, 'x-match': 'all'})
                    for name in self.names
                ],
                auto_delete=True,
                exclusive=True,
            )
            consumers.append(
                Consumer(queues=[by_name], callbacks=[self.printer('by-name')], accept=['json'])
            )
        if self.user:
            by_user = kombu.Queue(
                exchange=EXCHANGE,
                bindings=[
                    kombu.binding(
                        EXCHANGE, arguments={'user_uuid:' + self.user: True, 'x-match': 'all'}
                    )
                ],
                auto_delete=True,
                exclusive=True,
            )
            consumers.append(
                Consumer(queues=[by_user], callbacks=[self.printer('by-user')], accept=['json'])
            )
        return consumers

    def on_consume_ready(self, connection, channel, consumers, **kwargs):
        print('ready', flush=True)

    def printer(self, queue):
        def on_message(body, message):
            # wazo-bus dispatches on the `name` header, the body's as a fallback.
            name = message.headers.get('name') or body.get('name')
            print(queue, name, message.delivery_info.get('routing_key'), flush=True)
            message.ack()

        return on_message


if __name__ == '__main__':
    names, user = parse_arguments(sys.argv[1:])
    with kombu.Connection(URL) as connection:
        try:
            WazoBusPrinter(connection, names, user).run()
        except KeyboardInterrupt:
            pass
