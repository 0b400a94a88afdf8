--[[ list-scheduled: the delayed messages of every queue, soonest first.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] max
  Returns: groups of 4 (id, queue, eta ms, body), at most max per queue,
  unsorted across queues (the caller merges them).
]]
--@include common

local prefix, max = ARGV[1], tonumber(ARGV[2])
local out = {}
for _, queue in ipairs(redis.call('SMEMBERS', prefix .. 'queues')) do
  local due = redis.call('ZRANGE', queueKey(prefix, queue, 'scheduled'), 0, max - 1, 'WITHSCORES')
  for i = 1, #due, 2 do
    local body = redis.call('HGET', prefix .. 'm:' .. due[i], 'b')
    if body then
      out[#out + 1] = due[i]
      out[#out + 1] = queue
      out[#out + 1] = due[i + 1]
      out[#out + 1] = body
    end
  end
end
return out
