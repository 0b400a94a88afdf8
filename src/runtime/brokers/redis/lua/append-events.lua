--[[ append-events: appends one batch of events as ONE stream entry (a JSON
  array), so a busy worker's events cost Redis one XADD per batch rather than
  one per event; wakes readers. Each event's id is '<entry id>:<index>'.
  KEYS: none (the stream is {p}events; readers listen on channel {p}events)
  ARGV[1] prefix   ARGV[2] cap (entries kept, approximately)   ARGV[3] JSON array of events
  Returns: the stream id of the entry.
]]
local key = ARGV[1] .. 'events'
local id = redis.call('XADD', key, 'MAXLEN', '~', ARGV[2], '*', 'b', ARGV[3])
redis.call('PUBLISH', key, id)
return id
