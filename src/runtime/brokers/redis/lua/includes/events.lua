-- Appends one batch of events (already encoded, see event-codec.ts) as ONE
-- stream entry, capped at about `cap` entries, and wakes readers on the
-- channel of the same name. Returns the entry's id.
local function appendEvents(prefix, cap, payload)
  local key = prefix .. 'events'
  local id = redis.call('XADD', key, 'MAXLEN', '~', cap, '*', 'b', payload)
  redis.call('PUBLISH', key, id)
  return id
end
