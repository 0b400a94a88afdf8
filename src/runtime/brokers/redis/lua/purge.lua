--[[ purge: removes the ready messages of the queues (never leased or scheduled).
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2..] queues
  Returns: the count removed per queue, in the order given.
]]
--@include common

local prefix = ARGV[1]
local counts = {}
for i = 2, #ARGV do
  local ready = queueKey(prefix, ARGV[i], 'ready')
  local removed = 0
  while true do
    local ids = redis.call('ZRANGE', ready, 0, 999)
    if #ids == 0 then
      break
    end
    for _, id in ipairs(ids) do
      redis.call('DEL', prefix .. 'm:' .. id)
    end
    redis.call('ZREM', ready, unpack(ids))
    removed = removed + #ids
  end
  counts[#counts + 1] = removed
end
return counts
