-- FIFO sequence numbers. A bulk enqueue takes a block of them from {p}seq
-- with one INCRBY (reserveSeq) instead of one INCR per message; a number a
-- skipped duplicate leaves unused only leaves a gap, and order stays FIFO.
local seqNext, seqLast = 1, 0
local function reserveSeq(prefix, count)
  seqLast = redis.call('INCRBY', prefix .. 'seq', count)
  seqNext = seqLast - count + 1
end

local function nextSeq(prefix)
  if seqNext > seqLast then
    return redis.call('INCR', prefix .. 'seq')
  end
  seqNext = seqNext + 1
  return seqNext - 1
end

-- Inside a script every redis.call costs about as much as the work it does,
-- so a batch of messages is written with one HSET each and everything else
-- shared: one ZADD per sorted set, one wake-up per queue, and one EXISTS for
-- the whole batch when none of its ids is in the broker yet (the usual case).
local function newBatch(now)
  return { zadds = {}, queues = {}, ids = {}, keys = {}, nowText = num(now) }
end

-- The batch's key of one queue's sorted set, built once per batch.
local function batchKey(prefix, batch, queue, kind)
  local name = kind .. ':' .. queue
  local key = batch.keys[name]
  if not key then
    key = queueKey(prefix, queue, kind)
    batch.keys[name] = key
  end
  return key
end

-- True when none of `mkeys` exists yet, checked in one call (per slice).
local function noneExist(mkeys)
  return callSliced('EXISTS', mkeys) == 0
end

-- Writes message `mkey` (prefix .. 'm:' .. id)'s hash, ready or scheduled,
-- and returns the sorted set it belongs in and its rank there.
local function writeMessage(prefix, now, nowText, mkey, queue, priority, etaMs, body)
  local score = num(priority * PRIORITY_SPAN + nextSeq(prefix))
  -- No state for a ready message (absent means ready), no priority (the
  -- score holds it), no delivery count (take.lua starts it): each field less
  -- is about 2.5% less of Redis's work per message in bulk (npm run bench --
  -- redis-cost). The score stays, though the ready set holds it too: a worker
  -- of an older tq, during a rolling upgrade, puts a message back by it.
  if etaMs > now then
    redis.call('HSET', mkey, 'q', queue, 'b', body, 'e', nowText, 's', score, 'st', 's')
    return 'scheduled', num(etaMs)
  end
  redis.call('HSET', mkey, 'q', queue, 'b', body, 'e', nowText, 's', score)
  return 'ready', score
end

-- Wakes one blocked worker of the queue and registers the queue. A single
-- send skips the SADD while the marker was still set: the queue was
-- registered when that marker was set (only a key deleted by hand, or evicted
-- under a policy tq warns about, breaks that; the next marker set mends it).
local function announce(prefix, queue)
  if mark(prefix, queue) == 1 then
    redis.call('SADD', prefix .. 'queues', queue)
  end
end

-- Adds one message with no batch bookkeeping (the tables a batch needs cost
-- more than they save for one message), once the caller knows `mkey` is free.
local function addOne(prefix, now, mkey, id, queue, priority, etaMs, body)
  local kind, rank = writeMessage(prefix, now, num(now), mkey, queue, priority, etaMs, body)
  redis.call('ZADD', queueKey(prefix, queue, kind), rank, id)
  announce(prefix, queue)
end

-- addOne for an id that may be in the broker already: then it is left alone
-- (not a second copy), which also makes a resent enqueue harmless after a
-- connection drop. Returns 1 when added, 0 when the id was there.
local function enqueueOne(prefix, now, mkey, id, queue, priority, etaMs, body)
  if redis.call('EXISTS', mkey) == 1 then
    return 0
  end
  addOne(prefix, now, mkey, id, queue, priority, etaMs, body)
  return 1
end

-- Adds one message to `batch`; its sorted-set entry is written by flushBatch.
-- An id already in the broker, or earlier in the batch, is left alone.
-- `fresh`: noneExist already vouched for the key. Returns 1 when added, 0 when
-- the id was there.
local function batchOne(prefix, now, mkey, id, queue, priority, etaMs, body, batch, fresh)
  if batch.ids[id] or (not fresh and redis.call('EXISTS', mkey) == 1) then
    return 0
  end
  batch.ids[id] = true
  local kind, rank = writeMessage(prefix, now, batch.nowText, mkey, queue, priority, etaMs, body)
  local key = batchKey(prefix, batch, queue, kind)
  local zadd = batch.zadds[key]
  if not zadd then
    zadd = {}
    batch.zadds[key] = zadd
  end
  zadd[#zadd + 1] = rank
  zadd[#zadd + 1] = id
  batch.queues[queue] = true
  return 1
end

-- Writes the batch's sorted-set entries, then wakes one blocked worker of
-- each queue (for a scheduled message too, so a blocked worker shortens its
-- wait to the new eta) and registers the queues, in one SADD for the batch.
local function flushBatch(prefix, batch)
  for key, zadd in pairs(batch.zadds) do
    callSliced('ZADD', zadd, key)
  end
  local queues = {}
  for queue in pairs(batch.queues) do
    mark(prefix, queue)
    queues[#queues + 1] = queue
  end
  if #queues > 0 then
    callSliced('SADD', queues, prefix .. 'queues')
  end
end
