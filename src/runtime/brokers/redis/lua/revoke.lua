--[[ revoke: remembers ids as revoked until a deadline, and removes those still
  waiting (ready or scheduled) from their queue with a REVOKED record. Leased
  ones are left to their worker, which reads the revoked set.
  KEYS: none (keys derive from the prefix; the set is {p}revoked, score = forget-at ms)
  ARGV[1] prefix   ARGV[2] remember ms   ARGV[3] reason   ARGV[4] finished-at (ISO)
  ARGV[5] result TTL ms   ARGV[6..] ids
  Returns: the ids removed from a queue.
]]
--@include common
--@include remove-waiting

local prefix, reason, finishedAt, ttl = ARGV[1], ARGV[3], ARGV[4], ARGV[5]
local now = nowMs()
local revoked = prefix .. 'revoked'
redis.call('ZREMRANGEBYSCORE', revoked, '-inf', num(now))
local removed = {}
for i = 6, #ARGV do
  local id = ARGV[i]
  redis.call('ZADD', revoked, num(now + tonumber(ARGV[2])), id)
  local queue, body = removeWaiting(prefix, id)
  if queue then
    local ok, parsed = pcall(cjson.decode, body)
    local task = (ok and type(parsed) == 'table' and type(parsed.task) == 'string') and parsed.task or ''
    local record = cjson.encode({ id = id, task = task, queue = queue, state = 'REVOKED', retries = 0,
      error = { name = 'Revoked', message = reason }, finishedAt = finishedAt })
    storeResult(prefix, id, record, ttl, '1')
    removed[#removed + 1] = id
  end
end
return removed
