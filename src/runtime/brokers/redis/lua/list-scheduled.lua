--[[ list-scheduled: the delayed messages of every queue, soonest first.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] max   ARGV[3] preview bytes
  Returns: groups of 5 (id, queue, eta ms, body, body bytes), at most max per
  queue, unsorted across queues (the caller merges them). A body is sent only
  up to preview bytes (a listing shows a preview); body bytes is its whole size.
]]
--@include common

local prefix, max, previewBytes = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for _, queue in ipairs(redis.call('SMEMBERS', prefix .. 'queues')) do
  local due = redis.call('ZRANGE', queueKey(prefix, queue, 'scheduled'), 0, max - 1, 'WITHSCORES')
  for i = 1, #due, 2 do
    local body = redis.call('HGET', prefix .. 'm:' .. due[i], 'b')
    if body then
      out[#out + 1] = due[i]
      out[#out + 1] = queue
      out[#out + 1] = due[i + 1]
      out[#out + 1] = string.sub(body, 1, previewBytes)
      out[#out + 1] = #body
    end
  end
end
return out
