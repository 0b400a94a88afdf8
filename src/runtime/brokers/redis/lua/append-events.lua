--[[ append-events: appends events to the capped stream and wakes readers.
  KEYS: none (the stream is {p}events; readers listen on channel {p}events)
  ARGV[1] prefix   ARGV[2] cap (entries kept, approximately)   ARGV[3..] event JSON
  Returns: the id of the last event appended.
]]
local key = ARGV[1] .. 'events'
local id = ''
for i = 3, #ARGV do
  id = redis.call('XADD', key, 'MAXLEN', '~', ARGV[2], '*', 'e', ARGV[i])
end
redis.call('PUBLISH', key, id)
return id
