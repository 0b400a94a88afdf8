--[[ reserve: ready -> leased (holder, token, deadline) in one step.
  Promotes due scheduled messages and lapsed leases of each queue first.
  KEYS: none (keys derive from the prefix; see includes/common.lua)
  ARGV[1] prefix   ARGV[2] max
  ARGV[3] holder   ARGV[4] lease ms   ARGV[5] token base   ARGV[6..] queues, in order
  Returns: { wake, id, queue, body, token, deliveries, ... } where wake is -1
  when something was taken, else ms until the next eta/lease deadline of the
  queues (0 = due now, -1 = none).
]]
--@include common
--@include take

local prefix, max = ARGV[1], tonumber(ARGV[2])
local holder, leaseMs, tokenBase, queues = leaseArgs(3)
local now = nowMs()
local out = { -1 }
if take(prefix, queues, holder, leaseMs, max, tokenBase, now, out) == 0 then
  out[1] = nextWake(prefix, queues, now)
end
return out
