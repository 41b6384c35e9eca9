/**
 * The bluegreen policy pack: `pulumi preview --policy-pack policy` (CI does this on every PR).
 * Every policy is mandatory: a violation fails the preview, with a message that says how to fix it.
 */
import { PolicyPack } from "@pulumi/policy";
import { policies } from "./policies";

new PolicyPack("bluegreen", { policies, enforcementLevel: "mandatory" });
