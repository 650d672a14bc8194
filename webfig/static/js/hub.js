// The entry module of the hub's list page: it keeps the list in step with the hub.
import { HubList } from "./hub-list.js"

const root = document.querySelector(".webfig-hub-runs")
if (root) new HubList(root).connect()
