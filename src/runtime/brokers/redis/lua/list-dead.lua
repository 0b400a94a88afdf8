--[[ list-dead: the newest dead letters of every queue.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] max   ARGV[3] preview bytes
  Returns: dead-letter JSON entries, at most max per queue, newest first
  within a queue (the caller merges queues by deadAt). A letter whose body is
  longer than preview bytes comes with only its first preview bytes and the
  whole body's size in bodyBytes: a listing shows a preview, and whole bodies
  (each up to the message size limit) would make Redis send megabytes.
]]
--@include common

local prefix, max, previewBytes = ARGV[1], tonumber(ARGV[2]), tonumber(ARGV[3])
local out = {}
for _, queue in ipairs(redis.call('SMEMBERS', prefix .. 'queues')) do
  for _, entry in ipairs(redis.call('LRANGE', queueKey(prefix, queue, 'dead'), 0, max - 1)) do
    -- Only a long entry can hold a long body; short ones go as they are, undecoded.
    if #entry > previewBytes then
      local ok, letter = pcall(cjson.decode, entry)
      if ok and type(letter) == 'table' and type(letter.body) == 'string' and #letter.body > previewBytes then
        letter.bodyBytes = #letter.body
        letter.body = string.sub(letter.body, 1, previewBytes)
        entry = cjson.encode(letter)
      end
    end
    out[#out + 1] = entry
  end
end
return out
