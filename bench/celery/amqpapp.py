"""The Python side of `npm run bench -- amqp`: Celery 5 on RabbitMQ, results in Redis.

Broker from BENCH_BROKER (an amqp:// URL with the bench's own virtual host), result
backend and marks from BENCH_REDIS. Results are stored, as tq stores them, so a drain
does the same work on both sides. BENCH_CONFIRM=1 makes every publish wait for RabbitMQ's
publisher confirm (as tq always does); unset or 0 is Celery's default, no confirms.
A worker of this app sets bench:ready in Redis once it consumes. Commands
(python3 amqpapp.py COMMAND ...), each printing one JSON line:

  enqueue ONE BULK QUEUE  ONE noop sends to QUEUE one at a time (send_task, each its own
                          call), then BULK in one producer block (Celery has no bulk send;
                          a group is sent this way too)
  callers N C QUEUE       N noop sends to QUEUE from C threads at once, each send its own call
                          (as a threaded web server's requests do; Celery's producer pool
                          serves them)
  publish N Q1 Q2 ...     bench_mark('start'), N x noop, bench_mark('end'), published once
                          to a fanout exchange that copies them into queues Q1, Q2, ... (one
                          per worker to be timed; a worker takes its own with -Q)
  latency N               N probe(sent_at) sends, 5 ms apart, to an idle worker
"""
import json
import os
import sys
import threading
import time

import redis
from celery import Celery
from celery.signals import worker_ready
from kombu import Exchange, Queue

BROKER = os.environ['BENCH_BROKER']
REDIS = os.environ['BENCH_REDIS']
CONFIRM = os.environ.get('BENCH_CONFIRM') == '1'

app = Celery('amqpapp', broker=BROKER, backend=REDIS)
app.conf.update(
    task_serializer='json',
    accept_content=['json'],
    result_serializer='json',
    broker_transport_options={'confirm_publish': CONFIRM},
)

_r = None


def _redis():
    global _r
    _r = _r or redis.Redis.from_url(REDIS)
    return _r


@app.task(name='noop')
def noop(n=None):
    return n


@app.task(name='bench_mark', ignore_result=True)
def bench_mark(name):
    _redis().set('bench:' + name, str(time.time()))
    return name


@app.task(name='probe', ignore_result=True)
def probe(sent_at):
    # Taken first, before anything else the task does: enqueue -> start, in ms.
    latency = time.time() * 1000 - sent_at
    _redis().rpush('bench:latency', latency)


@worker_ready.connect
def _ready(**_):
    _redis().set('bench:ready', '1')


def enqueue(one_count, bulk_count, queue):
    app.send_task('noop', (0,), queue=queue)  # connects and declares the queue outside the timing
    t = time.perf_counter()
    for i in range(one_count):
        app.send_task('noop', (i,), queue=queue)
    one = time.perf_counter() - t
    t = time.perf_counter()
    with app.producer_or_acquire() as producer:
        for i in range(bulk_count):
            app.send_task('noop', (i,), queue=queue, producer=producer)
    bulk = time.perf_counter() - t
    return {'one_ms': one * 1000, 'bulk_ms': bulk * 1000}


def callers(count, threads, queue):
    app.send_task('noop', (0,), queue=queue)  # connects and declares the queue outside the timing
    lock = threading.Lock()
    left = [count]

    def caller():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            app.send_task('noop', (0,), queue=queue)

    pool = [threading.Thread(target=caller) for _ in range(threads)]
    t = time.perf_counter()
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join()
    return {'ms': (time.perf_counter() - t) * 1000}


def publish(n, queues):
    fanout = Exchange('bench-drain', type='fanout', durable=True)
    with app.connection_for_write() as connection:
        for name in queues:
            Queue(name, fanout, routing_key='drain')(connection.default_channel).declare()
    route = {'exchange': fanout, 'routing_key': 'drain'}
    with app.producer_or_acquire() as producer:
        app.send_task('bench_mark', ('start',), producer=producer, **route)
        for i in range(n):
            app.send_task('noop', (i,), producer=producer, **route)
        app.send_task('bench_mark', ('end',), producer=producer, **route)
    return {'sent': n + 2}


def latency(n):
    with app.producer_or_acquire() as producer:
        for _ in range(n):
            app.send_task('probe', (time.time() * 1000,), producer=producer)
            time.sleep(0.005)
    return {'sent': n}


if __name__ == '__main__':
    command = sys.argv[1]
    if command == 'enqueue':
        print(json.dumps(enqueue(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])))
    elif command == 'callers':
        print(json.dumps(callers(int(sys.argv[2]), int(sys.argv[3]), sys.argv[4])))
    elif command == 'publish':
        print(json.dumps(publish(int(sys.argv[2]), sys.argv[3:])))
    else:
        print(json.dumps(latency(int(sys.argv[2]))))
