--[[ requeue-dead: puts dead letters (all, or those of the given ids) back in
  their queues as ready messages, removing them from the dead-letter lists.
  An id that is queued again meanwhile is not added twice. A letter whose body
  is not JSON (it could never run; see dead-letter.lua) is left in place.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2..] ids (none = every dead letter)
  Returns: how many were put back.
]]
--@include common
--@include enqueue-one

local prefix = ARGV[1]
local wanted = nil
if #ARGV > 1 then
  wanted = {}
  for i = 2, #ARGV do
    wanted[ARGV[i]] = true
  end
end
-- Whether a stored letter may be one of the wanted ids, before decoding it.
-- A letter holds its id verbatim unless JSON had to escape it, so for an id
-- with nothing to escape a miss is certain: whole bodies are never decoded
-- just to be passed over.
local function mayHold(entry)
  for id in pairs(wanted) do
    if id:find('[%c"\\/]') or entry:find(id, 1, true) then
      return true
    end
  end
  return false
end

-- A decoded message body's priority, 0-9; 4 (the default) when it has none.
local function priorityOf(body)
  local p = type(body) == 'table' and body.priority
  if type(p) ~= 'number' or p < 0 or p > 9 then
    return 4
  end
  return math.floor(p)
end

local now = nowMs()
local batch = newBatch(now)
local added = 0
for _, queue in ipairs(redis.call('SMEMBERS', prefix .. 'queues')) do
  local dead = queueKey(prefix, queue, 'dead')
  for _, entry in ipairs(redis.call('LRANGE', dead, 0, -1)) do
    local ok, letter = false, nil
    if wanted == nil or mayHold(entry) then
      ok, letter = pcall(cjson.decode, entry)
    end
    if ok and type(letter) == 'table' and (wanted == nil or wanted[letter.id]) then
      local okBody, body = pcall(cjson.decode, letter.body)
      -- A body that is not JSON (garbage, or cut for size) could never run: it stays a dead letter.
      if okBody and type(body) == 'table' then
        redis.call('LREM', dead, 1, entry)
        added = added + batchOne(prefix, now, prefix .. 'm:' .. letter.id, letter.id, queue, priorityOf(body), 0, letter.body, batch, false)
      end
    end
  end
end
flushBatch(prefix, batch)
return added
