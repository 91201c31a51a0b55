/**
 * What the admin registry (the web console's calls) keeps in the store besides the pods'
 * registrations: an operator's setting state and traffic switch, the console's tasks
 * (`t_task`, `t_task_item`), and what it reads (node versions, profile templates). None of it is
 * read by a reload: lookups never wait for a task table.
 *
 * @module
 */
import type { ServerKey, SettingState } from "./types.ts";

/**
 * Which console numbered a task's states: 2 for TarsWeb 2.x (success is 2), 3 for TarsWeb 3.x and
 * the current IDL (success is 3). A task's item states are stored in its console's numbering.
 */
export type TaskNumbering = 2 | 3;

/** The console's traffic switch for servers of one application and server name. */
export interface FlowRows {
  application: string;
  server: string;
  /** The nodes whose server the switch is for. */
  nodeNames: string[];
  /** True turns traffic on. */
  active: boolean;
}

/** One item of a validated `addTaskReq`. */
export interface TaskItemRow {
  /** Item number, unique in its task. */
  itemNo: string;
  application: string;
  server: string;
  nodeName: string;
  /** Set name (may be empty). */
  setName: string;
  /** The command: `restart`, `stop`, `start`… */
  command: string;
  /** The parameters as the framework stores them (`key=value&key=value`). */
  parameters: string;
  /** Its state in the task's numbering: written with the task, then as the item runs. */
  status: number;
}

/** A validated `addTaskReq`. */
export interface TaskRows {
  taskNo: string;
  /** True runs the items one after another. */
  serial: boolean;
  /** Who asked. */
  userName: string;
  /** The numbering of the console that asked. */
  numbering: TaskNumbering;
  /** The items, in order. */
  items: TaskItemRow[];
}

/** One item of a task as stored: the item as written, its times, and what running it said. */
export interface TaskItemRecord extends TaskItemRow {
  /** `YYYY-MM-DD HH:MM:SS`, or empty before the item started. */
  startTime: string;
  /** `YYYY-MM-DD HH:MM:SS`, or empty before the item ended. */
  endTime: string;
  /** What running it said. */
  log: string;
}

/** A task as stored, with its items in order. */
export interface TaskRecord {
  taskNo: string;
  /** True runs the items one after another. */
  serial: boolean;
  /** Who asked. */
  userName: string;
  /** `YYYY-MM-DD HH:MM:SS`. */
  createTime: string;
  /** The numbering of its item states (2 for a task another registry wrote). */
  numbering: TaskNumbering;
  /** Its items, in order. */
  items: TaskItemRecord[];
}

/** A change of one task item: its state, and whether it starts or ends now. */
export interface TaskItemChange {
  taskNo: string;
  itemNo: string;
  /** The new state, in the task's numbering. */
  status: number;
  /** `start` stamps the start time now, `end` the end time. */
  stamp: "start" | "end";
  /** What running it said (an ending item). */
  log?: string;
}

/** Which tasks `taskHistory` reads. */
export interface TaskFilter {
  /** Application of an item. */
  application: string;
  /** Server name of an item. */
  server: string;
  /** Command of an item. */
  command: string;
}

/** A row of `t_profile_template`. */
export interface ProfileTemplateRow {
  /** The template it inherits from (may name itself, as `tars.default` does). */
  parents: string;
  /** Its text, in the TARS config format. */
  profile: string;
}

/** What a server's profile is made of: its template and its own part. */
export interface ServerProfileRow {
  /** `t_server_conf.template_name`. */
  template: string;
  /** `t_server_conf.profile`: the server's private template, may be empty. */
  profile: string;
}

/** The store calls of the admin registry. */
export interface AdminStore {
  /** Sets a server's setting state; resolves false when no such server is registered. */
  setSettingState(key: ServerKey, state: SettingState): Promise<boolean>;
  /** Sets the traffic switch (`flow_state`) of the servers named; resolves how many it found. */
  setFlowState(rows: FlowRows): Promise<number>;
  /** The node's `tars_version`, or undefined for a node the store does not have. */
  nodeVersion(nodeName: string): Promise<string | undefined>;
  /** A profile template by name, or undefined. */
  profileTemplate(name: string): Promise<ProfileTemplateRow | undefined>;
  /** A server's template and private profile, or undefined for a server it does not have. */
  serverProfile(key: ServerKey): Promise<ServerProfileRow | undefined>;
  /** Writes a task and its items (every item not started). */
  addTask(task: TaskRows): Promise<void>;
  /** Sets an item's state and stamps its start or end time with the store's clock. */
  changeTaskItem(change: TaskItemChange): Promise<void>;
  /** A task with its items, or undefined for a task number it does not have. */
  task(taskNo: string): Promise<TaskRecord | undefined>;
  /** The tasks with an item of that application, server and command, newest first. */
  taskHistory(filter: TaskFilter): Promise<TaskRecord[]>;
}
