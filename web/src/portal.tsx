// The portal's page (/portal/).
import { render } from "preact";
import "./portal.css";
import { Portal } from "./views/portal/Portal";

render(<Portal />, document.getElementById("app") as HTMLElement);
