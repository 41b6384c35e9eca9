/**
 * The one dynamic provider behind the app's notice resources: the switch notice (where traffic
 * goes: switchNoticeProvider.ts) and each color's staged notice (its images:
 * stagedNoticeProvider.ts). One provider object for both, because Pulumi serializes each provider
 * object once per program run (about a quarter of a second each) and starts one plugin for all.
 * A switch notice's inputs name `live`; a staged notice's name `color`.
 */
import type * as pulumi from "@pulumi/pulumi";
import { stagedNoticeLogic, StagedNoticeInputs, StagedNoticeState } from "./stagedNoticeProvider";
import { switchNoticeLogic, SwitchNoticeInputs, SwitchNoticeState } from "./switchNoticeProvider";

type Inputs = SwitchNoticeInputs | StagedNoticeInputs;

const isSwitch = (inputs: Inputs): inputs is SwitchNoticeInputs => "live" in inputs;

export const noticeProvider: pulumi.dynamic.ResourceProvider = {
  async diff(_id: string, olds: SwitchNoticeState | StagedNoticeState, news: Inputs): Promise<pulumi.dynamic.DiffResult> {
    return isSwitch(news) ? switchNoticeLogic.diff(olds as SwitchNoticeState, news) : stagedNoticeLogic.diff(olds as StagedNoticeState, news);
  },

  async create(inputs: Inputs): Promise<pulumi.dynamic.CreateResult> {
    return isSwitch(inputs) ? switchNoticeLogic.create(inputs) : stagedNoticeLogic.create(inputs);
  },

  async update(_id: string, olds: SwitchNoticeState | StagedNoticeState, news: Inputs): Promise<pulumi.dynamic.UpdateResult> {
    return isSwitch(news) ? switchNoticeLogic.update(olds as SwitchNoticeState, news) : stagedNoticeLogic.update(olds as StagedNoticeState, news);
  },
};
