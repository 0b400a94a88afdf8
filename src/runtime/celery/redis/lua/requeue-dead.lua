--[[ requeue-dead: puts dead letters back in their queue's bare list, served
  next: all of them, or those of the ids given.
  KEYS[1] a dead-letter list  KEYS[2] its queue's bare list
  ARGV ids (none: all)
  Returns: how many were put back.
]]

local wanted = nil
if #ARGV > 0 then
  wanted = {}
  for _, id in ipairs(ARGV) do wanted[id] = true end
end
local moved = 0
for _, entry in ipairs(redis.call('LRANGE', KEYS[1], 0, -1)) do
  local ok, dead = pcall(cjson.decode, entry)
  if ok and type(dead) == 'table' and type(dead.body) == 'string' and (wanted == nil or wanted[dead.id]) then
    redis.call('LREM', KEYS[1], 1, entry)
    redis.call('RPUSH', KEYS[2], dead.body)
    moved = moved + 1
  end
end
return moved
