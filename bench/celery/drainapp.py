"""The Python side of `npm run bench -- celery`: Celery 5's worker draining no-op tasks.

Broker from BENCH_BROKER; bench_mark(name) writes time.time() to bench:<name> on the same
Redis, as bench/tasks/bench_mark.ts does for tq. `publish N` (python3 drainapp.py publish N)
sends bench_mark('start'), N x noop, bench_mark('end'), all with ignore_result.
"""
import os
import sys
import time

import redis
from celery import Celery

BROKER = os.environ['BENCH_BROKER']
app = Celery('drainapp', broker=BROKER)
app.conf.update(task_serializer='json', accept_content=['json'], task_ignore_result=True)


@app.task(name='noop')
def noop(n=None):
    return n


_r = None


@app.task(name='bench_mark')
def bench_mark(name):
    global _r
    _r = _r or redis.Redis.from_url(BROKER)
    _r.set('bench:' + name, str(time.time()))
    return name


if __name__ == '__main__' and sys.argv[1:2] == ['publish']:
    n = int(sys.argv[2])
    with app.producer_or_acquire() as producer:
        app.send_task('bench_mark', ('start',), ignore_result=True, producer=producer)
        for i in range(n):
            app.send_task('noop', (i,), ignore_result=True, producer=producer)
        app.send_task('bench_mark', ('end',), ignore_result=True, producer=producer)
