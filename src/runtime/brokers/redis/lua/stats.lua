--[[ stats: the depth of each queue, read atomically.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2..] queues (none = every known queue)
  Returns: groups of 6: queue, ready, scheduled, leased, dead, oldest ready age ms (-1: none).
]]
--@include common

local prefix = ARGV[1]
local queues = {}
for i = 2, #ARGV do
  queues[#queues + 1] = ARGV[i]
end
if #queues == 0 then
  queues = redis.call('SMEMBERS', prefix .. 'queues')
end
local now = nowMs()
local out = {}
for _, queue in ipairs(queues) do
  local ready = queueKey(prefix, queue, 'ready')
  -- The head of each priority band is its oldest message (FIFO inside a band).
  local oldest = -1
  for p = 0, 9 do
    local head = redis.call('ZRANGEBYSCORE', ready, num(p * PRIORITY_SPAN), '(' .. num((p + 1) * PRIORITY_SPAN), 'LIMIT', 0, 1)
    if head[1] then
      local enqueued = tonumber(redis.call('HGET', prefix .. 'm:' .. head[1], 'e'))
      if enqueued and (oldest < 0 or enqueued < oldest) then
        oldest = enqueued
      end
    end
  end
  out[#out + 1] = queue
  out[#out + 1] = redis.call('ZCARD', ready)
  out[#out + 1] = redis.call('ZCARD', queueKey(prefix, queue, 'scheduled'))
  out[#out + 1] = redis.call('ZCOUNT', queueKey(prefix, queue, 'leased'), '-inf', '(inf') -- not LEASED_ANCHOR
  out[#out + 1] = redis.call('LLEN', queueKey(prefix, queue, 'dead'))
  out[#out + 1] = oldest < 0 and -1 or math.max(0, now - oldest)
end
return out
