--[[ revoke: remembers ids as revoked until a deadline, and removes those still
  waiting (ready or scheduled) from their queue with a REVOKED record. Leased
  ones are left to their worker, which reads the revoked set.
  KEYS: none (keys derive from the prefix; the set is {p}revoked, score = forget-at ms)
  ARGV[1] prefix   ARGV[2] remember ms   ARGV[3] reason   ARGV[4] finished-at (ISO)
  ARGV[5] result TTL ms   ARGV[6..] ids
  Returns: the ids removed from a queue.
]]
--@include common

local prefix, reason, finishedAt, ttl = ARGV[1], ARGV[3], ARGV[4], ARGV[5]
local now = nowMs()
local revoked = prefix .. 'revoked'
redis.call('ZREMRANGEBYSCORE', revoked, '-inf', num(now))
local removed = {}
for i = 6, #ARGV do
  local id = ARGV[i]
  redis.call('ZADD', revoked, num(now + tonumber(ARGV[2])), id)
  local mkey = prefix .. 'm:' .. id
  local m = redis.call('HMGET', mkey, 'st', 'q', 'b')
  -- Ready: 'st' absent (as an enqueue leaves it) or 'r' (as release, retry and promotion set it).
  local ready = m[3] and (not m[1] or m[1] == 'r')
  if ready or m[1] == 's' then
    redis.call('ZREM', queueKey(prefix, m[2], ready and 'ready' or 'scheduled'), id)
    redis.call('DEL', mkey)
    local ok, parsed = pcall(cjson.decode, m[3])
    local task = (ok and type(parsed) == 'table' and type(parsed.task) == 'string') and parsed.task or ''
    local record = cjson.encode({ id = id, task = task, queue = m[2], state = 'REVOKED', retries = 0,
      error = { name = 'Revoked', message = reason }, finishedAt = finishedAt })
    storeResult(prefix, id, record, ttl, '1')
    removed[#removed + 1] = id
  end
end
return removed
