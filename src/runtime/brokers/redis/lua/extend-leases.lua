--[[ extend-leases: pushes each lease's deadline to now + lease ms, in one call.
  A lease still counts while its token is current, even a little past its
  deadline, as long as no reserve has taken the message back yet.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] lease ms   ARGV[3..] pairs: id, token
  Returns: the 1-based pair numbers of the leases that were lost.
]]
--@include common

local prefix = ARGV[1]
local deadline = num(nowMs() + tonumber(ARGV[2]))
local lost = {}
for i = 3, #ARGV, 2 do
  local id = ARGV[i]
  local mkey = prefix .. 'm:' .. id
  local queue = currentLease(mkey, ARGV[i + 1])
  if queue then
    redis.call('HSET', mkey, 'd', deadline)
    redis.call('ZADD', queueKey(prefix, queue, 'leased'), deadline, id)
  else
    lost[#lost + 1] = (i - 1) / 2
  end
end
return lost
