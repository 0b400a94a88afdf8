--[[ finish: for each of a batch of leases, ack + store the result (+ publish
  when final); then reserve the next messages the accepted ones asked for.
  Each ack is fenced: refused, with nothing written for it, unless its token
  is the current lease's. A batch holds the finishes of one worker that
  arrived together, so a busy worker spends one call on many tasks.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] result TTL ms   ARGV[3] batch size k
  ARGV[4..] k groups of 5: id, token, result record JSON ('' = none),
            '1' when final, how many next messages this one wants (0 = none)
  then: holder, lease ms, token base, queues... (layout of includes/take.lua)
  Returns: { code 1..k (1 accepted, -1 lease lost), wake, id, queue, body,
  token, deliveries, ... } (wake as in reserve.lua), reservations in the
  order the accepted finishes asked for them.
]]
--@include common
--@include take

local prefix, ttl, k = ARGV[1], ARGV[2], tonumber(ARGV[3])
local out = {}
local wanted = 0
-- The acked messages are deleted, and taken off their queues' leased sets,
-- in one call each for the whole batch (every redis.call costs about as much
-- as the work it does). `acked` keeps a lease the batch holds twice to one ack.
local acked, dels, leasedIds = {}, {}, {}
for i = 0, k - 1 do
  local base = 4 + i * 5
  local id = ARGV[base]
  local mkey = prefix .. 'm:' .. id
  local queue = not acked[id] and currentLease(mkey, ARGV[base + 1])
  if queue then
    acked[id] = true
    dels[#dels + 1] = mkey
    local ids = leasedIds[queue]
    if not ids then
      ids = {}
      leasedIds[queue] = ids
    end
    ids[#ids + 1] = id
    storeResult(prefix, id, ARGV[base + 2], ttl, ARGV[base + 3])
    wanted = wanted + tonumber(ARGV[base + 4])
    out[#out + 1] = 1
  else
    out[#out + 1] = -1
  end
end
if #dels > 0 then
  callSliced('DEL', dels)
  for queue, ids in pairs(leasedIds) do
    callSliced('ZREM', ids, queueKey(prefix, queue, 'leased'))
  end
end
local holder, leaseMs, tokenBase, queues = leaseArgs(4 + k * 5)
local now = nowMs()
out[#out + 1] = -1
if wanted > 0 and take(prefix, queues, holder, leaseMs, wanted, tokenBase, now, out) == 0 then
  out[k + 1] = nextWake(prefix, queues, now)
end
return out
