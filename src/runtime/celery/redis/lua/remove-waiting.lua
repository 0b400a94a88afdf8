--[[ remove-waiting: takes the messages of these task ids out of the band
  lists given, wherever they wait (never one a worker holds: that one is in
  `unacked`, and the worker skips a revoked id when it starts it).
  KEYS band lists  ARGV task ids
  Returns: the ids removed.
]]

local wanted = {}
for _, id in ipairs(ARGV) do wanted[id] = true end
local removed = {}
for _, key in ipairs(KEYS) do
  for _, raw in ipairs(redis.call('LRANGE', key, 0, -1)) do
    for id in pairs(wanted) do
      -- A cheap text test first; only a candidate is decoded.
      if string.find(raw, id, 1, true) then
        local ok, msg = pcall(cjson.decode, raw)
        if ok and type(msg) == 'table' and type(msg.headers) == 'table' and msg.headers.id == id then
          redis.call('LREM', key, 1, raw)
          removed[#removed + 1] = id
          wanted[id] = nil
        end
        break
      end
    end
  end
end
return removed
