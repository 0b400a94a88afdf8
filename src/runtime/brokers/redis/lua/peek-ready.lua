--[[ peek-ready: the task names of the first ready messages of each queue,
  counted per name, in the order a reserve takes them. Reads only.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] most messages looked at per queue   ARGV[3..] queues
  Returns: groups of 3: queue, task name ('' for a body that names none), count.
]]
--@include common

local prefix, max = ARGV[1], tonumber(ARGV[2])
local out = {}
for i = 3, #ARGV do
  local queue = ARGV[i]
  local counts, order = {}, {}
  for _, id in ipairs(redis.call('ZRANGE', queueKey(prefix, queue, 'ready'), 0, max - 1)) do
    local ok, parsed = pcall(cjson.decode, redis.call('HGET', prefix .. 'm:' .. id, 'b') or '')
    local task = (ok and type(parsed) == 'table' and type(parsed.task) == 'string') and parsed.task or ''
    if not counts[task] then
      counts[task] = 0
      order[#order + 1] = task
    end
    counts[task] = counts[task] + 1
  end
  for _, task in ipairs(order) do
    out[#out + 1] = queue
    out[#out + 1] = task
    out[#out + 1] = counts[task]
  end
end
return out
