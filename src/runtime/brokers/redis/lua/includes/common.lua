-- Shared helpers for every tq script. Included first by the loader.
--
-- All keys derive from the prefix passed as ARGV[1] (default 'tq:'), because a
-- message's queue keys are only known once its hash is read. That makes these
-- scripts fit for a single Redis (or a primary with replicas), not for Cluster.
--
-- Key layout (see the README for the full list):
--   {p}m:{id}             hash: the message (q queue, b body, e enqueued ms,
--                         s ready score, which holds the priority, st state:
--                         s|l, or r or absent when ready, n deliveries (absent
--                         until the first), h holder, t token, a leased-at ms,
--                         d lease deadline ms)
--   {p}q:{queue}:ready     zset: score = priority * 2^48 + seq (0 first, FIFO)
--   {p}q:{queue}:scheduled zset: score = eta ms
--   {p}q:{queue}:leased    zset: score = lease deadline ms (+ LEASED_ANCHOR at +inf)
--   {p}q:{queue}:marker    zset: one member; wakes a worker blocked in BZPOPMIN
--   {p}q:{queue}:dead      list: capped dead letters (JSON), newest first
--   {p}queues              set: every queue name ever used
--   {p}seq                 string: counter giving FIFO order
--   {p}r:{id}              string: result record (JSON) with a TTL
--   {p}meta:{key}          string: small key-value store, unique-task claims
--   channel {p}done:{id}   published when a final result is stored

-- Room for 2^48 sequence numbers per priority; 10 * 2^48 is still an exact double.
local PRIORITY_SPAN = 281474976710656

-- Scores and timestamps exceed the 14 digits Lua's tostring keeps; always
-- format them. A whole number below 2^53 (every ms time and score tq makes)
-- goes through C's integer printing ('%d', a 64-bit long on the servers
-- Redis supports), which costs a small fraction of '%.0f': floating-point
-- printing was 12% of Redis's instructions in a bulk enqueue. Anything else
-- (a fraction, a huge or infinite value) keeps '%.0f', which rounds.
local EXACT_LIMIT = 2 ^ 53
local function num(n)
  if n < EXACT_LIMIT and n > -EXACT_LIMIT and n == math.floor(n) then
    return string.format('%d', n)
  end
  return string.format('%.0f', n)
end

-- Every {p}q:{queue}:leased set holds this member, scored +inf (never due),
-- once it has held a lease. It is longer than zset-max-listpack-value (64
-- bytes by default), so Redis keeps the set as a skiplist: a worker's leased
-- set is small (under 128 members), and in Redis's compact form each insert
-- scans it and parses every score, which was a fifth of Redis's work per task
-- draining at concurrency 50. As a skiplist an insert is O(log n). Readers of
-- due leases never see it; counts and the next deadline skip it.
local LEASED_ANCHOR = '~ anchor: keeps this sorted set a skiplist, so adding a lease is O(log n); never due'

-- Lua's unpack has a bounded stack, so a long argument list goes to Redis in
-- slices of UNPACK_SLICE (even: a score never parts from its member).
-- Returns the sum of the integer replies (added, removed, existing...).
local UNPACK_SLICE = 1000
local function callSliced(command, args, key)
  local total = 0
  for first = 1, #args, UNPACK_SLICE do
    local last = math.min(#args, first + UNPACK_SLICE - 1)
    if key then
      total = total + redis.call(command, key, unpack(args, first, last))
    else
      total = total + redis.call(command, unpack(args, first, last))
    end
  end
  return total
end

-- Server time, so leases and etas compare on one clock whatever the workers' clocks say.
local function nowMs()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function queueKey(prefix, queue, kind)
  return prefix .. 'q:' .. queue .. ':' .. kind
end

-- Wakes one blocked worker of the queue (BZPOPMIN pops the single member).
-- Returns 1 when the marker was not set before.
local function mark(prefix, queue)
  return redis.call('ZADD', queueKey(prefix, queue, 'marker'), 0, '0')
end

-- The queue of message `mkey` when `token` fences its current lease, else nil.
local function currentLease(mkey, token)
  local f = redis.call('HMGET', mkey, 'st', 't', 'q')
  if f[1] == 'l' and f[2] == token then
    return f[3]
  end
  return nil
end

-- Stores a result record with its TTL; a final one also wakes waitForResult.
local function storeResult(prefix, id, record, ttlMs, final)
  if record == '' then
    return
  end
  redis.call('SET', prefix .. 'r:' .. id, record, 'PX', ttlMs)
  if final == '1' then
    redis.call('PUBLISH', prefix .. 'done:' .. id, '1')
  end
end
