--[[ release: hands leased messages back, ready at once, at their original
  place (ahead of anything enqueued after them). Fenced per lease: a lapsed or
  lost lease is skipped.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2..] pairs: id, token
  Returns: how many were handed back.
]]
--@include common

local prefix = ARGV[1]
local released = 0
for i = 2, #ARGV, 2 do
  local id = ARGV[i]
  local mkey = prefix .. 'm:' .. id
  local queue = currentLease(mkey, ARGV[i + 1])
  if queue then
    redis.call('ZREM', queueKey(prefix, queue, 'leased'), id)
    redis.call('HDEL', mkey, 'h', 't', 'a', 'd')
    redis.call('HSET', mkey, 'st', 'r')
    redis.call('ZADD', queueKey(prefix, queue, 'ready'), redis.call('HGET', mkey, 's'), id)
    mark(prefix, queue)
    released = released + 1
  end
end
return released
