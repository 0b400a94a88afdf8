--[[ purge: empties band lists and returns what they held, so the caller can
  record each task REVOKED. Held deliveries (in `unacked`) are not touched.
  KEYS band lists
  Returns: flat [key index (1-based), raw] per message removed.
]]

local out = {}
for k, key in ipairs(KEYS) do
  for _, raw in ipairs(redis.call('LRANGE', key, 0, -1)) do
    out[#out + 1] = k
    out[#out + 1] = raw
  end
  redis.call('DEL', key)
end
return out
