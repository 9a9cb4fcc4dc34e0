// Validate one SNS message (JSON on stdin) with the stock sns-validator; the host pattern is argv[2].
"use strict";
const MessageValidator = require("sns-validator");

let input = "";
process.stdin.on("data", (chunk) => { input += chunk; });
process.stdin.on("end", () => {
  const validator = new MessageValidator(new RegExp(process.argv[2]));
  validator.validate(input, (error) => {
    if (error) {
      console.log("invalid: " + error.message);
      process.exit(1);
    }
    console.log("valid");
  });
});
