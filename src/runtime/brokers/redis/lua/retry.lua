--[[ retry: puts a leased message back with a new body, at the back of its
  priority, ready now or scheduled at the eta; stores the RETRY record. Fenced.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] id   ARGV[3] token
  ARGV[4] new body   ARGV[5] priority   ARGV[6] eta ms (0 = now)
  ARGV[7] result record JSON ('' = none)   ARGV[8] result TTL ms
  Returns: 1, or -1 when the lease was lost.
]]
--@include common

local prefix, id = ARGV[1], ARGV[2]
local mkey = prefix .. 'm:' .. id
local queue = currentLease(mkey, ARGV[3])
if not queue then
  return -1
end
local now = nowMs()
local priority = tonumber(ARGV[5])
local eta = tonumber(ARGV[6])
local score = num(priority * PRIORITY_SPAN + redis.call('INCR', prefix .. 'seq'))
redis.call('ZREM', queueKey(prefix, queue, 'leased'), id)
redis.call('HDEL', mkey, 'h', 't', 'a', 'd')
redis.call('HSET', mkey, 'b', ARGV[4], 's', score)
if eta > now then
  redis.call('HSET', mkey, 'st', 's')
  redis.call('ZADD', queueKey(prefix, queue, 'scheduled'), num(eta), id)
else
  redis.call('HSET', mkey, 'st', 'r')
  redis.call('ZADD', queueKey(prefix, queue, 'ready'), score, id)
end
mark(prefix, queue)
storeResult(prefix, id, ARGV[7], ARGV[8], '0')
return 1
