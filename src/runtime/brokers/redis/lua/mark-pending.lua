--[[ mark-pending: stores PENDING records for tasks sent through another
  broker, each only where the id has no record yet (SET NX), so it never
  overwrites what a fast worker already wrote.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] result TTL ms   ARGV[3..] pairs: id, record JSON
  Returns: the ids that already had a record.
]]
local prefix, ttl = ARGV[1], ARGV[2]
local existing = {}
for i = 3, #ARGV, 2 do
  if not redis.call('SET', prefix .. 'r:' .. ARGV[i], ARGV[i + 1], 'NX', 'PX', ttl) then
    existing[#existing + 1] = ARGV[i]
  end
end
return existing
