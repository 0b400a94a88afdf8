--[[ append-events: appends one batch of events as ONE stream entry, so a
  busy worker's events cost Redis one XADD per batch rather than one per
  event; wakes readers. Each event's id is '<entry id>:<index>'.
  KEYS: none (the stream is {p}events; readers listen on channel {p}events)
  ARGV[1] prefix   ARGV[2] cap (entries kept, approximately)   ARGV[3] encoded batch
  Returns: the stream id of the entry.
]]
--@include events

return appendEvents(ARGV[1], ARGV[2], ARGV[3])
