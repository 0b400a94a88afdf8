"""A Celery chord of N no-op tasks on one Redis, timed end to end (send to body result).

usage: python3 chord.py REDIS_URL N POOL [CONCURRENCY]
Starts `celery worker` (POOL solo | prefork), waits for it to answer a ping,
then times chord(noop.s(i) for i in range(N))(count.s()).get(). Prints one JSON
line: {"pool": ..., "n": N, "ms": elapsed, "value": the body's value}.
Broker and result backend are the same Redis (backend db + 1), as a tq
deployment on one Redis keeps both.
"""
import json, os, subprocess, sys, time

from celery import Celery, chord

BROKER = os.environ.get('CHORD_BROKER', 'redis://127.0.0.1:6379/0')
app = Celery('chord', broker=BROKER, backend=BROKER.rsplit('/', 1)[0] + '/' + str(int(BROKER.rsplit('/', 1)[1] or 0) + 1))
app.conf.update(result_expires=3600, worker_hijack_root_logger=False, broker_connection_retry_on_startup=True)


@app.task
def noop(i):
    return i


@app.task
def count(values):
    return len(values)


def main():
    url, n, pool = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    conc = sys.argv[4] if len(sys.argv) > 4 else '2'
    env = dict(os.environ, CHORD_BROKER=url)
    args = [sys.executable, '-m', 'celery', '-A', 'chord', 'worker', '-P', pool, '-l', 'warning',
            '--without-gossip', '--without-mingle', '-n', f'chord-{os.getpid()}@bench']
    if pool != 'solo':
        args += ['-c', conc]
    here = os.path.dirname(os.path.abspath(__file__))
    worker = subprocess.Popen(args, cwd=here, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while not app.control.ping(timeout=0.5):
            if time.time() > deadline or worker.poll() is not None:
                sys.exit('the Celery worker did not start')
        t0 = time.time()
        result = chord(noop.s(i) for i in range(n))(count.s())
        value = result.get(timeout=1200)
        ms = (time.time() - t0) * 1000
        print(json.dumps({'pool': pool if pool == 'solo' else f'{pool} -c {conc}', 'n': n, 'ms': round(ms), 'value': value}))
    finally:
        worker.terminate()
        worker.wait(30)


if __name__ == '__main__':
    os.environ.setdefault('CHORD_BROKER', sys.argv[1])
    app.conf.broker_url = sys.argv[1]
    app.conf.result_backend = sys.argv[1].rsplit('/', 1)[0] + '/' + str(int(sys.argv[1].rsplit('/', 1)[1] or 0) + 1)
    main()
