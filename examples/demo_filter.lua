-- demo_filter.lua — the demo channel's filter (examples/demo.yaml).
-- Runs once per message with `msg` bound to it; returns true to keep the
-- message, false to drop it (a dropped message is stored and marked
-- filtered, never delivered). docs/channels.md lists the msg API.

-- Messages sent for debugging (MSH-11 processing id "D") stop here.
if msg:get("MSH-11.1") == "D" then
  return false
end

-- Keep admissions, transfers and discharges, and every other accepted
-- type except the A08 "update patient information" chatter that
-- downstream systems here do not want.
local kind, event = msg:type():match("^(%w+)%^?(%w*)")
if kind == "ADT" and event == "A08" then
  return false
end

-- A message without a patient identifier has nothing to deliver.
return msg:get("PID-3.1") ~= nil and msg:get("PID-3.1") ~= ""
