// The portal's page (/portal/).
import { render } from "preact";
import "./portal.css";
import { interactive } from "./interactive";
import { Portal } from "./views/portal/Portal";

render(<Portal />, document.getElementById("app") as HTMLElement);
interactive();
