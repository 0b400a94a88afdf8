--[[ list-dead: the newest dead letters of every queue.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] max
  Returns: dead-letter JSON entries, at most max per queue, newest first
  within a queue (the caller merges queues by deadAt).
]]
--@include common

local prefix, max = ARGV[1], tonumber(ARGV[2])
local out = {}
for _, queue in ipairs(redis.call('SMEMBERS', prefix .. 'queues')) do
  for _, entry in ipairs(redis.call('LRANGE', queueKey(prefix, queue, 'dead'), 0, max - 1)) do
    out[#out + 1] = entry
  end
end
return out
