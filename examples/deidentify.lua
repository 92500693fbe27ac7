-- deidentify.lua — an example transformer: removes what identifies the
-- patient before a message leaves for a research or test system. Use it
-- with `transformer: {lua_file: deidentify.lua}`. Edits happen in place.

msg:set("PID-5", "ANONYMOUS")      -- name
msg:set("PID-7", "")               -- date of birth
msg:set("PID-11", "")              -- address
msg:set("PID-13", "")              -- home phone
msg:set("PID-19", "")              -- SSN

-- next of kin name nobody downstream needs
while msg:count("NK1") > 0 do
  msg:delete("NK1")
end

-- say what was done, in the message itself
msg:set("MSH-8", "DEIDENTIFIED")
