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

-- Adds one message, ready or scheduled. An id already in the broker is left
-- alone (not a second copy), which also makes a resent enqueue harmless after
-- a connection drop. Returns 1 when added, 0 when the id was there.
-- `touched` (queue -> true) remembers the queues to announce with announce().
local function enqueueOne(prefix, now, id, queue, priority, etaMs, body, touched)
  local mkey = prefix .. 'm:' .. id
  if redis.call('EXISTS', mkey) == 1 then
    return 0
  end
  local score = num(priority * PRIORITY_SPAN + nextSeq(prefix))
  -- No priority field (the score holds it) and no delivery count (take.lua's
  -- HINCRBY starts it): every field less is time saved on the hottest write.
  if etaMs > now then
    redis.call('HSET', mkey, 'q', queue, 's', score, 'b', body, 'st', 's', 'e', num(now))
    redis.call('ZADD', queueKey(prefix, queue, 'scheduled'), num(etaMs), id)
  else
    redis.call('HSET', mkey, 'q', queue, 's', score, 'b', body, 'st', 'r', 'e', num(now))
    redis.call('ZADD', queueKey(prefix, queue, 'ready'), score, id)
  end
  touched[queue] = true
  return 1
end

-- Registers the queues and wakes one blocked worker of each; for a scheduled
-- message too, so a blocked worker shortens its wait to the new eta.
local function announce(prefix, touched)
  for queue in pairs(touched) do
    mark(prefix, queue)
    redis.call('SADD', prefix .. 'queues', queue)
  end
end
